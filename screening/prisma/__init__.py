"""PRISMA 2020 counts, flow diagram and a citable report, computed from the review's own data.

``generate(review, out_dir)`` writes prisma.json, prisma.csv (PRISMA2020 R package template),
prisma_flow.{svg,png,pdf}, report.md and report.html. Importing this package registers the
``prisma`` post-step, so ``screening run`` ends with these outputs in ``<output_dir>/prisma``.
"""

from screening.prisma.api import PrismaResult, generate, post_step
from screening.prisma.state import load_searches, searches_frame
from screening.prisma.counts import compute_counts
from screening.prisma.model import PrismaCounts, StageProgress, check_invariants
from screening.runner import register_post_step

register_post_step("prisma", post_step)

__all__ = [
    "PrismaCounts", "PrismaResult", "StageProgress", "check_invariants", "compute_counts", "generate",
    "load_searches", "post_step", "searches_frame",
]
