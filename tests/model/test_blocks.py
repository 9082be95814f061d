import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from curation.model.blocks import predict_proba_blocked


def test_blocked_scores_equal_the_estimators_own_over_several_blocks() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2_500, 12))
    x[rng.random(x.shape) < 0.05] = np.nan  # missing values take the trees' learnt side
    y = np.where(x[:, 0] > 0.3, "a", np.where(np.nan_to_num(x[:, 1]) > 0, "b", "c"))
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, y)
    got = predict_proba_blocked(model, x, block_rows=300)  # 9 blocks, the last one short
    assert got.shape == (2_500, 3)
    np.testing.assert_array_equal(got, model.predict_proba(x))
    np.testing.assert_array_equal(predict_proba_blocked(model, x[:10]), model.predict_proba(x[:10]))
