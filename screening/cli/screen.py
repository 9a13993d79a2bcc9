"""``screening screen``: the interactive screening session.

Rendering only: the session's logic (queue, blinding, re-ranking, the stopping line) lives in
:class:`~screening.decisions.session.ScreeningSession`; this module reads keys and draws its view.
"""

from __future__ import annotations

from typing import Any, Optional

import typer
from rich.text import Text

from screening.cli._app import REVIEW_ARG, STAGE_HELP, command, console, printable, shown, styled, warn, working
from screening.cli._interactive import EOF_KEY, _byline, _cbreak, _highlight, _read_key, _read_line
from screening.decisions import api
from screening.normalize import clip
from screening.records import as_text


def _share(value: Any) -> str:
    """0.5806451612903226 -> '58.1%' (the status line printed the raw float); 'not yet' as is."""
    return f"{value:.1%}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value or "?")


def _render(view: Any) -> None:
    console.rule(styled((view.stage, "bold"), f" · {view.reviewer}" + (f" · only {view.subset}" if view.subset else "")
                        + (" · random sample (stopping test)" if view.sample else "")))
    done = view.decided
    total = max(view.total, 1)
    width = 30
    filled = int(width * min(done, total) / total)
    line = f"[{'#' * filled}{'.' * (width - filled)}] {done} decided · {view.remaining} left in your queue · {view.total} in this stage"
    if view.stopping:
        st = view.stopping
        if "estimated_recall" in st or "recommendation" in st:
            est_v, bound_v = st.get("estimated_recall"), st.get("recall_bound")
            est = (f"estimated recall: {est_v}" if isinstance(est_v, str) and est_v == bound_v   # 'not yet' ...
                   else f"estimated recall {_share(est_v)} (bound {_share(bound_v)})")
            est += f" — {st['recommendation']}" if st.get("recommendation") else ""
        else:
            est = ", ".join(f"{k}={v}" for k, v in st.items() if not isinstance(v, (dict, list)))
        line += f" · stopping rule: {est}"
    console.print(line)
    if view.message:
        console.print(f"» {view.message}")
    warn(view.warnings)
    if view.state == "done" or view.record is None:
        return
    rec = view.record
    terms = list(rec.get("rule_terms") or [])
    # each field shown one line (title, byline) or whole (abstract), capped: shown()
    title = shown(rec.get("title", "") or "(no title)", "title", one_line=True)
    console.print(Text(printable(f"record {rec['record_id']}", one_line=True), style="dim"))
    console.print(_highlight(title, terms), style="bold")
    original = shown(as_text(rec.get("title_original")), "original title", one_line=True)
    if original:      # the title in the article's own language, under MEDLINE's '[English translation]'
        console.print(_highlight(original, terms), style="bold dim")
    meta = (_byline(rec, 6), as_text(rec.get("year")), as_text(rec.get("journal")))
    console.print(Text(shown(" · ".join(x for x in meta if x), "byline", one_line=True), style="italic"))
    if view.study:
        others = ", ".join(view.study[:5]) + (f" and {len(view.study) - 5} more" if len(view.study) > 5 else "")
        how = "l to change, then - to end its link" if view.study_link else "through their links to it"
        console.print(Text(f"same study as record {others} ({how})", style="cyan"))
    abstract = shown(rec.get("abstract", "") or "(no abstract)", "abstract")
    console.print(_highlight(abstract, terms))
    if len(abstract) > 1200:       # a long abstract scrolls the title away: say again what this is
        console.print(Text(f"— {rec['record_id']}: {clip(title, 100)}", style="dim"))
    if view.state == "reason":
        from screening.decisions.session import REASON_KEYS

        console.print("Reason for exclusion" + (" (required):" if view.reason_required else " (Enter for none):"))
        for key, r in zip(REASON_KEYS, view.reasons):
            console.print(f"  {key} {r}")
        console.print("  Esc or q cancel")
    else:
        console.print("  ".join(f"[{k}] {v}" for k, v in view.keys.items()))
    if view.hint:
        console.print(Text(f"» {view.hint}", style="bold yellow"))


@command("screen")
def screen_cmd(
    review: str = REVIEW_ARG,
    reviewer: str = typer.Option(..., "--reviewer", "-r", help="Your name, as recorded in the log."),
    stage: str = typer.Option("title_abstract", "--stage", help=STAGE_HELP),
    demo: bool = typer.Option(False, "--demo", help="Mark the decisions as demonstration data."),
    only: Optional[str] = typer.Option(None, "--only", help="Limit the queue to a subset: no-abstract, or added "
                                "(records added while the stopping sample is under way)."),
    sample: bool = typer.Option(False, "--sample", help="Screen the unscreened records in a random order, "
                                "as the sample of the hypergeometric stopping test (docs/ranking.md)."),
) -> None:
    """Screen records one at a time with single keys (i/e/m/s/u/n/q; full text also r/a/l).

    Resumes where you left off; never shows other reviewers' decisions. `--only no-abstract`
    screens just the records without an abstract (the ranker places them late); `--only added`
    those a search update added while the stopping sample is under way. `--sample`
    screens a random sample of what is left, when the stopping status says to switch; the
    status line then shows the estimated recall and its bound.
    """
    # here, not at the top: the session brings scikit-learn (~0.6 s), which every other
    # command (decide, status...) would pay at start-up
    from screening.decisions.session import TEXT_STATES, ScreeningSession, stopping_hook

    rv = api.Review.load(review)
    api.check_stage(stage)
    with working("opening the session"):
        session = ScreeningSession(rv, reviewer, stage, is_demo=demo, stopping=stopping_hook(rv), only=only,
                                   sample=sample)
    try:
        with _cbreak():
            while True:
                view = session.view()
                _render(view)
                if view.state == "done":
                    left = view.remaining == 0 and not view.open_elsewhere
                    # a stop leaves records unscreened on purpose: 'nothing left' would hide them
                    console.print("session ended" + (" — screening is stopped" if view.remaining == 0 and view.stopped
                                                     else " — nothing left to screen" if left else ""))
                    break
                if view.state in TEXT_STATES:
                    prompt = {"note": "note: ", "attach": "report path or URL: ",
                              "link": "record id of the same study's other report (- ends its link): "}[view.state]
                    try:
                        text = _read_line(prompt)
                    except KeyboardInterrupt:     # Ctrl-C in a prompt cancels the prompt, not the session
                        console.print()
                        text = ""
                    except EOFError:
                        console.print("\nend of input: session ended")
                        break
                    session.submit_text(text)
                    continue
                console.file.flush()
                key = _read_key()
                if key == EOF_KEY:            # in any state, the reason prompt too: nothing more will come
                    console.print("end of input: session ended" + (" (the pending exclusion was not recorded)"
                                                                   if view.state == "reason" else ""))
                    break
                session.press(key)
    finally:
        rv.close()
