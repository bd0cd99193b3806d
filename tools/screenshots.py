"""Screenshots of the stepping page for the README (docs/img/explain-page.png, docs/img/explain-page-phone.png),
and each example page's size and load time in headless Chromium. Run by ``make screenshots``."""

from __future__ import annotations

import os
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
sys.path.insert(0, ROOT)

from tools.chromium import chromium, console_errors  # noqa: E402

import chaingrad as torch  # noqa: E402
from chaingrad.explain.cli import lenet_loss, mlp_loss, seed_loss  # noqa: E402

IMG = os.path.join(ROOT, "docs", "img")
LOAD_MS = ("var t = performance.getEntriesByType('navigation')[0];"
           "return [t.domContentLoadedEventEnd, t.loadEventEnd];")


def main(out: str = os.path.join(ROOT, "build", "pages")) -> int:
    os.makedirs(out, exist_ok=True)
    paths = {}
    for name, make in (("seed", seed_loss), ("mlp", mlp_loss), ("lenet", lenet_loss)):
        loss, names = make()
        paths[name] = torch.explain(loss).save(os.path.join(out, f"{name}.html"))
    with chromium(1280, 860) as browser:
        for name, path in paths.items():
            browser.get_log("browser")
            start = time.perf_counter()
            browser.get("file://" + os.path.abspath(path))
            wall = time.perf_counter() - start
            ready, loaded = browser.execute_script(LOAD_MS)
            errors = console_errors(browser)
            print(f"{name:6s} {os.path.getsize(path) / 1024:7.1f} KiB  DOM ready {ready:6.0f} ms, "
                  f"loaded {loaded:6.0f} ms, driver wall {wall * 1000:5.0f} ms, console errors: {len(errors)}")
        browser.get("file://" + os.path.abspath(paths["seed"]) + "#step=7")
        time.sleep(0.5)
        browser.save_screenshot(os.path.join(IMG, "explain-page.png"))
    with chromium(390, 844) as phone:
        phone.get("file://" + os.path.abspath(paths["seed"]) + "#step=5")
        time.sleep(0.5)
        phone.save_screenshot(os.path.join(IMG, "explain-page-phone.png"))
    print(f"Wrote {os.path.join('docs', 'img', 'explain-page.png')} and explain-page-phone.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
