"""A real headless Chromium (Debian's chromium + chromedriver, see scripts/install_chromium.sh)."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# Installed before each page script: collects uncaught errors, including those thrown while loading.
ERROR_COLLECTOR = """
window.__pageErrors = [];
window.addEventListener('error', e => window.__pageErrors.push(String(e.message || e)));
window.addEventListener('unhandledrejection', e => window.__pageErrors.push(String(e.reason)));
"""


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("chromium + chromedriver not installed (scripts/install_chromium.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_COLLECTOR})
    try:
        yield driver
    finally:
        driver.quit()
