"""Array types of the model code: what each numpy array holds, for the type checker."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]  # scores, probabilities, weights, dense features
Bools = npt.NDArray[np.bool_]  # masks
Ints = npt.NDArray[np.int64]  # folds, page and template numbers
Labels = npt.NDArray[np.object_]  # label strings per row ("" where unknown)
