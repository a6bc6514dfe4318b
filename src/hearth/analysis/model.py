"""Shipped linear weights: layout, (de)serialisation and scoring."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hearth.analysis import vectorize as V

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILE = "hearth-analysis.npz"
LANGS = ("fr", "en", "es", "de", "it", "pt", "nl")
SENTIMENTS = ("negative", "neutral", "positive")
# Column layout of the stacked weight matrix.
HEADS: dict[str, tuple[int, int]] = {
    "lang": (0, len(LANGS)),
    "sentiment": (len(LANGS), len(LANGS) + len(SENTIMENTS)),
    "abuse": (len(LANGS) + len(SENTIMENTS), len(LANGS) + len(SENTIMENTS) + 1),
    "spam": (len(LANGS) + len(SENTIMENTS) + 1, len(LANGS) + len(SENTIMENTS) + 2),
    # French abuse head: "abuse" scores every other language (it is trained on English data).
    "abuse_fr": (len(LANGS) + len(SENTIMENTS) + 2, len(LANGS) + len(SENTIMENTS) + 3),
}
N_OUT = len(LANGS) + len(SENTIMENTS) + 3


@dataclass
class Weights:
    sparse: npt.NDArray[np.float32]  # (V.N_SPARSE, N_OUT)
    dense: npt.NDArray[np.float32]  # (V.N_DENSE, N_OUT)
    bias: npt.NDArray[np.float32]  # (N_OUT,)
    valence: V.Valence
    meta: dict[str, object] = field(default_factory=dict)

    def scores(self, batch: V.Batch) -> npt.NDArray[np.float32]:
        out = batch.scores(self.sparse)
        out += batch.dense @ self.dense
        out += self.bias
        return out

    def save(self, path: Path) -> int:
        """Write int8-quantised weights (rows that are zero everywhere are dropped); returns bytes."""
        scale = np.abs(self.sparse).max(axis=0) / 127.0
        scale[scale == 0] = 1.0
        q = np.round(self.sparse / scale).astype(np.int8)
        rows = np.flatnonzero(np.any(q != 0, axis=1)).astype(np.uint32)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                rows=rows,
                q=q[rows],
                scale=scale.astype(np.float32),
                dense=self.dense.astype(np.float32),
                bias=self.bias.astype(np.float32),
                valence_keys=self.valence.keys,
                valence_values=self.valence.values,
                meta=np.frombuffer(json.dumps(self.meta).encode("utf-8"), dtype=np.uint8),
            )
        return path.stat().st_size

    @classmethod
    def load(cls, path: Path) -> Weights:
        with np.load(path) as z:
            sparse = np.zeros((V.N_SPARSE, N_OUT), dtype=np.float32)
            sparse[z["rows"]] = z["q"].astype(np.float32) * z["scale"]
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
            dense = z["dense"].astype(np.float32)
            if dense.shape[0] < V.N_DENSE:
                # Weights saved before a lexicon category was added (a workspace's retrained
                # model) have no row for its dense feature: zero rows keep them usable unchanged.
                dense = np.vstack(
                    [dense, np.zeros((V.N_DENSE - dense.shape[0], N_OUT), dtype=np.float32)]
                )
            return cls(
                sparse=sparse,
                dense=dense,
                bias=z["bias"].copy(),
                valence=V.Valence(z["valence_keys"].copy(), z["valence_values"].copy()),
                meta=meta,
            )
