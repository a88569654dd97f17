from __future__ import annotations

import pytest

from choreography.templatetags.bachata import mmss


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (59.6, "1:00"), (90.4, "1:30"), (182.25, "3:02"), (None, "")]
)
def test_mmss(seconds, shown):
    assert mmss(seconds) == shown
