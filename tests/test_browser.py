"""The stepping pages in a real browser (headless Chromium, see tools/chromium.py): stepping by keys, buttons,
slider, play and the URL; the highlighted node and the panel's numbers; modules that open; no JavaScript errors;
screenshots on a desktop and a phone-sized window. ``make test`` installs chromium when it is missing."""

from __future__ import annotations

import os
import sys
import time

import pytest

import chaingrad as torch
from chaingrad.explain.cli import lenet_loss, mlp_loss, seed_loss

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))
from tools.chromium import chromium, console_errors, missing  # noqa: E402

if missing():  # a clear failure, not a skip: the browser is part of the test set-up
    raise RuntimeError(missing())

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    with chromium(1280, 900) as driver:
        yield driver


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    out = {}
    for name, make in (("seed", seed_loss), ("mlp", mlp_loss), ("lenet", lenet_loss)):
        loss, names = make()
        report = torch.explain(loss)
        out[name] = (report, report.save(str(folder / f"{name}.html")))
    return out


def open_page(driver, path, fragment=""):
    driver.get_log("browser")  # start each page with an empty console log
    driver.get("file://" + path + fragment)
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "var r = document.querySelector('[data-cgp]'); return r && r.getAttribute('data-cgp-ready');"))


def step_of(driver) -> int:
    return int(driver.find_element(By.CSS_SELECTOR, "[data-cgp]").get_attribute("data-step"))


def current_ids(driver) -> list:
    return [e.get_attribute("data-id") for e in driver.find_elements(By.CSS_SELECTOR, ".cgp-svg .cgp-n.cur")]


def panel(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, ".cgp-step").text


def press(driver, key, times=1):
    body = driver.find_element(By.TAG_NAME, "body")
    for _ in range(times):
        body.send_keys(key)


def test_seed_page_steps_through_the_backward_pass(browser, pages, tmp_path):
    report, path = pages["seed"]
    open_page(browser, path)
    assert step_of(browser) == 1
    # step 1: the op that made the output is highlighted, and the output box receives dL/dloss = 1
    assert current_ids(browser) == ["o5"]  # Mul (by 0.5), the last op of the forward pass
    loss_box = browser.find_element(By.CSS_SELECTOR, ".cgp-n.cgp-output")
    assert "arrive" in loss_box.get_attribute("class")
    assert "Step 1 of 7: Mul" in panel(browser) and "dL/dloss * 0.5" in panel(browser)
    # right arrow to the MatMul step: the panel shows the seed's dL/dw = x^T @ dL/dy_pred = -21
    n = next(i for i, s in enumerate(report.steps) if s.op == "MatMul")
    press(browser, Keys.ARROW_RIGHT, n)
    assert step_of(browser) == n + 1
    text = panel(browser)
    assert "MatMul" in text and "[[1], [2], [3]]^T @ [[-1.5], [-3], [-4.5]] = [[-21]]" in text
    assert current_ids(browser) == ["o0"]
    sent = browser.find_elements(By.CSS_SELECTOR, ".cgp-e.send")
    assert [e.get_attribute("data-a") for e in sent] == ["t1"]  # the gradient goes back along w's edge
    leaves = browser.find_element(By.CSS_SELECTOR, ".cgp-leaves").text
    assert "[[-21]]" in leaves and "[-9]" in leaves
    # slider and URL fragment agree, both ways
    slider = browser.find_element(By.CSS_SELECTOR, ".cgp-slider")
    assert slider.get_attribute("value") == str(n + 1)
    assert browser.execute_script("return location.hash") == f"#step={n + 1}"
    press(browser, Keys.ARROW_LEFT, 2)
    assert slider.get_attribute("value") == str(n - 1) and browser.execute_script("return location.hash") == \
        f"#step={n - 1}"
    browser.execute_script("var s = arguments[0]; s.value = 3; s.dispatchEvent(new Event('input'));", slider)
    assert step_of(browser) == 3 and browser.execute_script("return location.hash") == "#step=3"
    browser.save_screenshot(str(tmp_path / "seed-desktop.png"))
    assert console_errors(browser) == []


def test_broadcast_sum_step_is_drawn_on_its_edge(browser, pages):
    report, path = pages["seed"]
    i = next(k for k, s in enumerate(report.steps) if s.kind == "unbroadcast")
    open_page(browser, path, f"#step={i + 1}")
    assert step_of(browser) == i + 1
    ub = browser.find_elements(By.CSS_SELECTOR, ".cgp-e.ub")
    assert len(ub) == 1 and ub[0].get_attribute("data-a") == "t3"  # b's edge into Add
    assert browser.find_element(By.CSS_SELECTOR, ".cgp-ublabel").text == "\u03a3 over dim 0"
    assert "sum over dim 0 = [-9]" in panel(browser)
    # b's gradient line on the graph fills in at this step, not before
    gl = browser.find_element(By.CSS_SELECTOR, ".cgp-n[data-id='t3'] .cgp-gl")
    assert "wait" not in gl.get_attribute("class") and gl.text == "grad [-9]"
    press(browser, Keys.ARROW_LEFT)
    assert "wait" in gl.get_attribute("class")
    assert console_errors(browser) == []


def test_play_reaches_the_last_step_and_the_fragment_is_read(browser, pages):
    report, path = pages["seed"]
    open_page(browser, path, "#step=5")
    assert step_of(browser) == 5
    browser.find_element(By.CSS_SELECTOR, ".cgp-speed option[value='4']").click()
    browser.find_element(By.CSS_SELECTOR, ".cgp-play").click()
    WebDriverWait(browser, 15).until(lambda d: step_of(d) == len(report.steps))
    time.sleep(0.5)
    assert "play" in browser.find_element(By.CSS_SELECTOR, ".cgp-play").text  # stopped at the end
    assert "Last step" in panel(browser)
    assert console_errors(browser) == []


def test_forward_mode_steps_the_forward_values_first(browser, pages):
    report, path = pages["seed"]
    open_page(browser, path, "#mode=forward&step=2")
    assert step_of(browser) == 2 and "Forward 2 of 6: Add" in panel(browser)
    assert "y_pred = (x @ w) + b" in panel(browser) and "[[0.5], [1], [1.5]]" in panel(browser)
    press(browser, Keys.END)
    assert step_of(browser) == 6 + len(report.steps) and "MatMul" in panel(browser)
    browser.find_element(By.CSS_SELECTOR, ".cgp-mode").click()  # back to the backward pass alone
    assert step_of(browser) == len(report.steps) and browser.execute_script("return location.hash") == \
        f"#step={len(report.steps)}"
    assert console_errors(browser) == []


def test_seed_page_on_a_phone(pages, tmp_path):
    report, path = pages["seed"]
    with chromium(390, 844) as phone:
        open_page(phone, path, "#step=7")
        assert "[[-21]]" in panel(phone)
        # nothing wider than the screen but the graph, which scrolls in its own box
        assert phone.execute_script("return document.documentElement.scrollWidth") <= 390
        phone.save_screenshot(str(tmp_path / "seed-phone.png"))
        assert console_errors(phone) == []
    assert (tmp_path / "seed-phone.png").stat().st_size > 10_000


def test_mlp_page_loads_and_steps(browser, pages, tmp_path):
    report, path = pages["mlp"]
    open_page(browser, path)
    press(browser, Keys.ARROW_RIGHT, 3)
    assert step_of(browser) == 4 and current_ids(browser)
    assert browser.find_elements(By.CSS_SELECTOR, ".cgp-step canvas.cgp-heat")  # big tensors: heat maps
    press(browser, Keys.END)
    assert step_of(browser) == len(report.steps)
    leaves = browser.find_element(By.CSS_SELECTOR, ".cgp-leaves").text
    assert "waiting" not in leaves and "dL/dW1" in leaves
    browser.save_screenshot(str(tmp_path / "mlp.png"))
    assert console_errors(browser) == []


def test_lenet_modules_open_on_click(browser, pages, tmp_path):
    report, path = pages["lenet"]
    open_page(browser, path, "#step=17")
    assert current_ids(browser)[0].startswith("g_")  # the Conv2d of net.3 is inside a collapsed box
    box = browser.find_element(By.CSS_SELECTOR, f".cgp-n[data-id='{current_ids(browser)[0]}']")
    box.click()
    assert browser.find_element(By.CSS_SELECTOR, ".cgp-back").is_displayed()
    assert current_ids(browser)[0].startswith("o") and "Conv2d" in panel(browser)
    press(browser, Keys.ARROW_RIGHT)  # still in net.3: AvgPool of net.0 belongs to another module's box
    assert current_ids(browser)
    browser.save_screenshot(str(tmp_path / "lenet.png"))
    browser.find_element(By.CSS_SELECTOR, ".cgp-back").click()
    assert not browser.find_element(By.CSS_SELECTOR, ".cgp-back").is_displayed()
    assert console_errors(browser) == []


def test_a_big_graph_loads_and_steps(browser, tmp_path):
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    h = x
    for i in range(1500):
        h = torch.tanh(h) if i % 2 else h * 1.01
    report = torch.explain(h.sum())
    path = report.save(str(tmp_path / "chain.html"))
    open_page(browser, path)
    press(browser, Keys.END)
    assert step_of(browser) == len(report.steps)
    assert "chain box" in panel(browser) or current_ids(browser)
    assert console_errors(browser) == []


def test_two_steppers_in_one_document_keep_apart(browser, tmp_path):
    loss, names = seed_loss()
    a = torch.explain(loss)._repr_html_()
    b = torch.explain(loss)._repr_html_()
    doc = tmp_path / "notebook-like.html"
    doc.write_text(f"<!DOCTYPE html><html><body><p>cell 1</p>{a}<p>cell 2</p>{b}</body></html>")
    browser.get_log("browser")
    browser.get("file://" + str(doc))
    roots = browser.find_elements(By.CSS_SELECTOR, "[data-cgp]")
    assert len(roots) == 2 and all(r.get_attribute("data-cgp-ready") for r in roots)
    roots[1].find_element(By.CSS_SELECTOR, ".cgp-last").click()
    assert roots[1].get_attribute("data-step") == "7" and roots[0].get_attribute("data-step") == "1"
    assert browser.execute_script("return location.hash") == ""  # inline steppers leave the URL alone
    assert console_errors(browser) == []
