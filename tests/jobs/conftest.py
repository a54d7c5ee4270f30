"""Job tests drive workers themselves: the app's own worker stays off."""

from __future__ import annotations

import pytest

from harvest.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(run_workers=False)
