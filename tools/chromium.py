"""Headless Chromium for the page's browser tests and screenshots: Debian's ``chromium`` driven by its own
``chromedriver`` through selenium, with everything that would reach the network switched off."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1")


def missing() -> str | None:
    """Why no browser can start here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return f"{path} is missing: `make test` installs chromium and chromium-driver with apt-get"
    return None


@contextmanager
def chromium(width: int = 1280, height: int = 900):
    """A selenium WebDriver on a fresh profile, logging the console; the window is ``width`` x ``height``."""
    os.environ["SE_AVOID_STATS"] = "true"  # selenium: no usage statistics
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    why = missing()
    if why:
        raise RuntimeError(why)
    profile = tempfile.mkdtemp(prefix="chaingrad-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)  # never selenium-manager
    try:
        driver.set_window_size(width, height)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_errors(driver) -> list:
    """The console's error entries so far (JavaScript exceptions, failed loads)."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
