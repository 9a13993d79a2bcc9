"""Re-scoring the pool after each active-learning update, from cached kernel columns.

Why: at 100k records one update used to be ~70 % a single sparse matrix-vector product
``X @ w`` over every non-zero of the pool (27 M in the benchmark), memory-bound and repeated
in full although only one label changed. For an L2-regularised linear model fitted on the
labelled rows (liblinear's SVM and logistic regression), the weight vector lies in the span of
those rows (representer theorem): ``w = X_L.T @ beta``. Hence

    X @ w = (X @ X_L.T) @ beta = K @ beta,

where column ``i`` of ``K`` is the similarity of every record to labelled record ``i``. That
column never changes, so it is computed once, when the record is labelled (a product over the
columns of that one record only, through a CSC copy of ``X``), and an update costs a dense
``L x n`` product (BLAS, contiguous) plus a tiny ``L x L`` solve for ``beta``:

    (X_L @ X_L.T) @ beta = X_L @ w          (Gram matrix = rows of K at the labelled records).

The solve falls back to least squares, so duplicate records (a singular Gram matrix) are fine;
if ``||w||^2 - beta . r`` (the squared norm of the part of ``w`` outside the span) is not ~0,
the model is not of this kind and the caller falls back to the direct product. Scores agree with ``X @ w`` to ~1e-6 (float32 rounding).

When it is used (:meth:`KernelScorer.cheaper`): only for a learner updated repeatedly (the
kernel columns pay off over many updates), on pools large enough that the sparse product
dominates an update (a few million non-zeros: ~10,000 abstracts and more), while ``L x n``
floats stay under a memory cap and the dense product stays cheaper than the sparse one;
otherwise the direct product is used and the cache is dropped. Both paths are deterministic, so a seed still fixes the ranking.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

# A dense multiply-add over K is several times cheaper than a sparse gather over X; this is
# the conservative ratio used to decide between the two (measured ~10x at 100k records).
DENSE_TO_SPARSE_COST = 0.25
# Fixed cost of the kernel path (Gram gather, L x L solve, span check, X_L @ w), in sparse
# non-zeros of equivalent time. Measured: at 5,000 records (1.35 M non-zeros) the kernel path
# was slower than the direct product (11.5 vs 8.7 ms per update), so small pools stay direct.
FIXED_COST_NNZ = 2_000_000


_CONTROLLER = None


def _blas_controller():
    """One threadpoolctl controller per process (creating it scans the loaded libraries)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


class KernelScorer:
    """Cache of kernel columns ``X @ x_i`` for labelled rows ``i`` of one feature matrix."""

    def __init__(self, X: sp.csr_matrix, max_bytes: int = 512 * 2**20) -> None:
        self.X = X
        self.max_bytes = int(max_bytes)
        self._csc: sp.csc_matrix | None = None
        self._K: np.ndarray | None = None      # (capacity, n) float32: row p = kernel column
        self._pos: dict[int, int] = {}          # record row -> row of _K
        # cost of one new kernel column, in non-zeros touched (fixed for this X)
        self._per_new_label = X.nnz * X.nnz / max(X.shape[0], 1) ** 2

    # -- cost model ---------------------------------------------------------------------------
    def cheaper(self, idx: np.ndarray) -> bool:
        """Whether, for ``len(idx)`` labels, an update from kernel columns (a dense ``L x n``
        product plus one new column per new label) costs less than ``X @ w``, within the
        memory cap. The one-off cost of columns for labels made before the cache existed is not
        counted: the caller only asks for a learner that is being updated repeatedly."""
        n, L = self.X.shape[0], len(idx)
        if L * n * 4 > self.max_bytes or self.X.nnz == 0:
            return False
        return FIXED_COST_NNZ + DENSE_TO_SPARSE_COST * L * n + self._per_new_label < self.X.nnz

    def drop(self) -> None:
        """Free the cache (the direct product is used from now on)."""
        self._K, self._pos, self._csc = None, {}, None

    # -- kernel columns -----------------------------------------------------------------------
    def _ensure(self, idx: np.ndarray) -> np.ndarray:
        """Rows of ``_K`` holding the kernel columns of ``idx`` (computing the missing ones)."""
        X = self.X
        n = X.shape[0]
        new = [i for i in dict.fromkeys(idx.tolist()) if i not in self._pos]
        if new:
            need = len(self._pos) + len(new)
            if self._K is None or need > self._K.shape[0]:
                cap = max(need, 2 * (0 if self._K is None else self._K.shape[0]), 64)
                cap = min(cap, max(need, self.max_bytes // (4 * max(n, 1))))
                K = np.empty((cap, n), dtype=np.float32)
                if self._K is not None:
                    K[:len(self._pos)] = self._K[:len(self._pos)]
                self._K = K
            if self._csc is None:
                self._csc = X.tocsc()
            for i in new:
                lo, hi = X.indptr[i], X.indptr[i + 1]
                col = self._csc[:, X.indices[lo:hi]] @ X.data[lo:hi].astype(np.float32)
                p = len(self._pos)
                self._K[p] = np.asarray(col, dtype=np.float32).ravel()
                self._pos[i] = p
        return np.fromiter((self._pos[i] for i in idx.tolist()), dtype=np.int64, count=len(idx))

    def score(self, idx: np.ndarray, coef: np.ndarray, intercept: float) -> np.ndarray | None:
        """``X @ coef + intercept`` (float32) for ``coef`` in the span of rows ``idx``, or None
        when it is not in that span (the caller must then use the direct product).

        BLAS runs single-threaded here: the products are small (an ``L x L`` solve, an
        ``L x n`` product of a few ms), and on a busy machine OpenBLAS's worker threads made a
        200 x 200 solve take 0.3 s instead of 1 ms while they waited for a free core.
        """
        with _blas_controller().limit(limits=1, user_api="blas"):
            return self._score(idx, coef, intercept)

    def _score(self, idx: np.ndarray, coef: np.ndarray, intercept: float) -> np.ndarray | None:
        idx = np.asarray(idx, dtype=np.int64)
        p = self._ensure(idx)
        K = self._K
        assert K is not None
        G = K[p[:, None], idx[None, :]].astype(np.float64)
        G = (G + G.T) / 2  # symmetric in exact arithmetic; float32 rounding is not
        r = np.asarray(self.X[idx] @ np.asarray(coef, dtype=np.float64)).ravel()
        tol = 1e-4 * max(float(np.linalg.norm(r)), 1e-12)
        try:  # Cholesky: the Gram matrix is positive definite unless records repeat
            beta = np.linalg.solve(G, r)
            ok = bool(np.linalg.norm(G @ beta - r) <= tol)
        except np.linalg.LinAlgError:
            ok = False
        if not ok:  # singular (duplicate records): minimum-norm least squares
            beta = np.linalg.lstsq(G, r, rcond=1e-10)[0]
            if not np.linalg.norm(G @ beta - r) <= tol:
                return None
        # In the span? ||w||^2 = ||X_L.T beta||^2 + ||w_perp||^2 and ||X_L.T beta||^2 = beta . r
        w = np.asarray(coef, dtype=np.float32)
        ww = float(np.dot(w, w))
        if ww - float(beta @ r) > 1e-3 * max(ww, 1e-12):
            return None
        full = np.zeros(len(self._pos), dtype=np.float32)
        np.add.at(full, p, beta.astype(np.float32))  # duplicates in idx add up
        return full @ K[:len(self._pos)] + np.float32(intercept)
