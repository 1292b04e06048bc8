"""`pyzero serve` in a real browser: headless Chromium (Debian's `chromium` package, which
`make test` installs) driven by Playwright for Python against the app served by uvicorn
on a free local port.

A person's paths through the page: a TicTacToe game clicked to its end against the
engine, an illegal move's message, Tak placements (a flat, a capstone) and stack moves
by clicking (one piece to a neighbour, four pieces spread with drops) and by dragging a
stack, with the engine's replies, the analysis panel streaming and stopping, and a saved PTN that `pyzero replay`
reads back to the page's final TPS, a chess game clicked (a pawn, a knight, a promotion
chosen from the page's question) with a PGN that python-chess reads back to the page's
final FEN, and watching the run (its curves drawn, a self-play
game replayed into the board). Screenshots at a laptop and a phone width go to
test-artifacts/web/ (ignored by git; CI keeps them). Expectations come from the rules
and the page's own position, never from which move the untrained network picks.
"""

import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import chess
import chess.pgn
import pytest
import uvicorn
from playwright.sync_api import expect, sync_playwright

from pyzero.games import make
from pyzero.web.app import create_app
from pyzero.web.served_players import ServeTarget
from pyzero.web.protocol import MAX_FRAME_BYTES
from web_run_files import TINY_TICTACTOE, random_tictactoe_games, write_run_files

CHROMIUM = os.environ.get("PYZERO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "web"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000  # per wait: the engine shares two cores with everything else
# `expect` has its own default (5 s), which the page's set_default_timeout does not change;
# the first tab's engine build alone can take longer than that on a busy machine.
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def run_directory(tmp_path_factory):
    """The served run's directory (empty: no checkpoints, logs or games until a test writes them)."""
    return tmp_path_factory.mktemp("web-browser") / "run"


@pytest.fixture(scope="module")
def server_url(run_directory):
    """The app for a tiny TicTacToe run, served by uvicorn on a free port of 127.0.0.1."""
    config_path = run_directory.parent / "tictactoe.yaml"
    config_path.write_text(TINY_TICTACTOE + f"run_dir: {run_directory}\n")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(ServeTarget.load(config_path)), log_level="warning",
                                           ws_max_size=MAX_FRAME_BYTES))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
                    f"(`make test` installs it; or apt-get install chromium, or set PYZERO_CHROMIUM)")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server_url):
    """A fresh tab (its own session) at a laptop width, on the loaded page."""
    context = browser.new_context(viewport=LAPTOP)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(server_url)
    expect(tab.locator("#connection")).to_have_text("connected")
    expect(tab.locator("#status")).to_have_attribute("data-ply", "0")
    yield tab
    context.close()


def wait_for_ply(page, ply: int) -> None:
    """Waits until the page shows the position after `ply` plies (or the game's end)."""
    page.wait_for_selector(f'#status[data-ply="{ply}"], #status[data-over="yes"]')
    expect(page.locator("body")).not_to_have_class("thinking")


def new_game(page, game: str, simulations: int) -> None:
    page.select_option("#game-select", game)
    page.select_option("#limit-kind", "simulations")
    page.fill("#limit-value", str(simulations))
    page.click("#new-game")


def tak_square(page, name: str):
    return page.locator(f'.tak-square[data-square="{name}"]')


def tak_stack(page, name: str) -> list[str]:
    """The pieces the page draws on a Tak square, bottom to top ("white flat", ...)."""
    return [" ".join(sorted(set(classes.split()) - {"piece"}, key=lambda word: word not in ("white", "black")))
            for classes in tak_square(page, name).locator(".piece").evaluate_all("els => els.map(e => e.className)")]


def stacks_of_tps(tps: str) -> dict[str, list[str]]:
    """Every occupied square's pieces, bottom to top, read from a TPS string (PTN's notation:
    rows from the top rank, `x`/`xN` empty squares, digits 1/2 per piece bottom to top, a
    trailing S or C for a wall or capstone on top): what the page must draw."""
    rows = tps.split()[0].split("/")
    size = len(rows)
    stacks: dict[str, list[str]] = {}
    for row_index, row in enumerate(rows):
        column = 0
        for cell in row.split(","):
            if cell.startswith("x"):
                column += int(cell[1:] or 1)
                continue
            kind = {"S": "wall", "C": "capstone"}.get(cell[-1], "flat")
            colours = [{"1": "white", "2": "black"}[digit] for digit in cell.rstrip("SC")]
            stacks[f"{chr(ord('a') + column)}{size - row_index}"] = [
                f"{colour} {kind if index == len(colours) - 1 else 'flat'}" for index, colour in enumerate(colours)]
            column += 1
    return stacks


def page_moves(page) -> list[str]:
    """The moves of the page's move list ("3. b2" buttons; a "(+1)" marks other branches)."""
    return [text.split(" ")[1] for text in page.locator("#move-list li:not(.start) button").all_inner_texts()]


def draggable_stack_move(page, owner: str) -> tuple[str, str, str]:
    """(origin, neighbour, PTN direction) of a stack topped by `owner`'s flat that can move
    whole onto a neighbour (empty or flat-topped); e3 is tried first."""
    steps = {"+": (0, 1), "-": (0, -1), ">": (1, 0), "<": (-1, 0)}
    names = ["e3"] + [f"{file}{rank}" for rank in range(1, 6) for file in "abcde"]
    for origin in names:
        stack = tak_stack(page, origin)
        if not stack or stack[-1] != f"{owner} flat" or len(stack) > 5:
            continue
        for direction, (file_step, rank_step) in steps.items():
            file, rank = chr(ord(origin[0]) + file_step), int(origin[1]) + rank_step
            if file in "abcde" and 1 <= rank <= 5:
                neighbour = tak_stack(page, f"{file}{rank}")
                if not neighbour or neighbour[-1].endswith("flat"):
                    return origin, f"{file}{rank}", direction
    pytest.fail(f"no {owner} stack can move on {page.inner_text('#position')}")


# -- TicTacToe -----------------------------------------------------------------------------------------
def test_a_tictactoe_game_clicked_to_the_end_against_the_engine(page):
    ply = 0
    for _ in range(5):  # at most five moves of ours
        empty = page.locator(".square.mark-empty")
        empty.first.click()
        wait_for_ply(page, ply + 2)
        if page.locator("#status").get_attribute("data-over") == "yes":
            break
        ply += 2
    expect(page.locator("#status")).to_have_text(
        re.compile(r"^game over: (1-0: x wins|0-1: o wins|1/2-1/2: draw)$"))
    # The page's board is the position its move list leads to, by the game's own rules.
    moves = page_moves(page)
    final = make("tictactoe").play_moves(moves)
    assert final.is_terminal() and page.inner_text("#position") == final.position()
    assert page.locator(".square.mark-x").count() + page.locator(".square.mark-o").count() == len(moves)
    expect(page.locator("#engine-move")).to_be_disabled()


def test_connect4_by_clicking_a_column_as_the_second_player(page):
    page.select_option("#game-select", "connect4")
    page.select_option("#side-select", "1")
    page.fill("#limit-value", "4")
    page.click("#new-game")
    wait_for_ply(page, 1)  # the engine opened
    opening = page_moves(page)[0]
    page.locator('.square[data-move="4"]').first.click()  # any square of a column drops there
    wait_for_ply(page, 3)
    moves = page_moves(page)
    assert moves[:2] == [opening, "4"] and len(moves) == 3
    assert page.inner_text("#position") == make("connect4").play_moves(moves).position()
    assert page.locator(".square.mark-x").count() == 2 and page.locator(".square.mark-o").count() == 1


def test_an_illegal_move_shows_a_message(page):
    expect(page.locator("#tak-controls")).to_be_hidden()  # Tak's piece and stack controls: Tak only
    page.locator('.square[data-move="b2"]').click()
    wait_for_ply(page, 2)
    page.locator('.square[data-move="b2"]').click()
    expect(page.locator("#message")).to_have_text("illegal move 'b2' in tictactoe position "
                                                   f"'{page.inner_text('#position')}': not legal here")
    expect(page.locator("#message")).to_have_attribute("data-kind", "error")
    page.fill("#move-input", "castle")
    page.press("#move-input", "Enter")
    expect(page.locator("#message")).to_contain_text("illegal move 'castle'")
    expect(page.locator("#status")).to_have_attribute("data-ply", "2")  # nothing changed


def test_the_analysis_panel_streams_and_stops(page):
    page.click("#analyse-start")
    rows = page.locator("#analysis-table tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("#analysis-status")).to_contain_text("running")
    first = page.inner_text("#analysis-status")
    expect(page.locator("#analysis-status")).not_to_have_text(first)  # a later round arrived
    legal = set(make("tictactoe").new().legal_moves())
    for row in rows.all():
        move, visits, q, prior, line = row.locator("td").all_inner_texts()
        assert move.rstrip(" *") in legal and line.split()[0] == move.rstrip(" *")
        make("tictactoe").play_moves(line)  # the principal variation is a legal line
    page.click("#analyse-stop")
    expect(page.locator("#analysis-status")).to_have_attribute("data-running", "no")
    expect(page.locator("#analysis-status")).to_contain_text("stopped")


def test_watching_the_run_draws_its_curves_and_replays_a_selfplay_game(page, run_directory):
    games = random_tictactoe_games(2, seed=7)
    write_run_files(run_directory, games)
    page.click("#watch-panel summary")
    expect(page.locator('.chart[data-curve="policy_loss"] polyline')).to_have_count(1)
    expect(page.locator('.chart[data-curve="evaluation: vs random"] h3')).to_have_text("evaluation: vs random: 0.750")
    expect(page.locator('.chart[data-curve="arena Elo"] h3')).to_have_text("arena Elo: 310")
    expect(page.locator("#selfplay-games li")).to_have_count(2)
    page.locator("#selfplay-games li button").first.click()  # the newest game, at its start
    expect(page.locator("#move-list li:not(.start)")).to_have_count(len(games[-1]))
    expect(page.locator("#status")).to_have_attribute("data-ply", "0")
    assert page_moves(page) == games[-1]
    page.locator(f'#move-list button[data-ply="{len(games[-1])}"]').click()  # to its end
    expect(page.locator("#status")).to_have_attribute("data-over", "yes")
    assert page.inner_text("#position") == make("tictactoe").play_moves(games[-1]).position()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "watch-laptop.png", full_page=True)


# -- Tak -------------------------------------------------------------------------------------------------
def test_tak_placing_moving_stacks_and_a_ptn_that_pyzero_replay_reads_back(page, tmp_path):
    new_game(page, "tak5", simulations=4)
    expect(page.locator(".tak-square")).to_have_count(25)
    expect(page.locator("#tak-controls")).to_be_visible()
    # Ply 1: a flat (the opponent's, by the rules of the first move), then the engine's reply.
    tak_square(page, "a1").click()
    wait_for_ply(page, 2)
    assert tak_stack(page, "a1") == ["black flat"]
    # A capstone on an empty square in the middle of the board.
    target = next(name for name in ("c3", "b3", "c2", "d3") if not tak_stack(page, name))
    page.check('[data-testid="piece-capstone"]')
    tak_square(page, target).click()
    wait_for_ply(page, 4)
    assert tak_stack(page, target) == ["white capstone"]
    # Move it: select it, click a neighbour (a capstone may go anywhere but onto a capstone).
    tak_square(page, target).click()
    expect(tak_square(page, target)).to_have_class(re.compile("selected"))
    file, rank = target[0], int(target[1])
    neighbours = [f"{chr(ord(file) + 1)}{rank}", f"{file}{rank + 1}", f"{chr(ord(file) - 1)}{rank}"]
    destination = next(name for name in neighbours if "capstone" not in " ".join(tak_stack(page, name)))
    below = tak_stack(page, destination)
    tak_square(page, destination).click()
    wait_for_ply(page, 6)
    direction = {0: ">", 1: "+", 2: "<"}[neighbours.index(destination)]
    moves = page_moves(page)
    assert moves[4] == f"{target}{direction}" and len(moves) == 6  # ours, then the engine's reply
    assert page.inner_text("#position") == make("tak", size=5).play_moves(moves).position()
    assert tak_stack(page, destination) == [piece.replace("wall", "flat") for piece in below] + ["white capstone"]

    # A tall stack from a TPS: carry four pieces right, dropping one then three.
    page.click("#record-panel summary")
    page.fill("#record-text", "x5/x5/x2,2121,x2/x5/x5 1 5")
    page.click("#load")
    wait_for_ply(page, 8)
    expect(tak_square(page, "c3").locator(".height")).to_have_text("4")
    tak_square(page, "c3").click()
    page.fill("#move-count", "4")
    page.fill("#move-drops", "13")
    page.click('[data-direction=">"]')
    wait_for_ply(page, 10)  # the move and the engine's reply
    moves = page_moves(page)
    assert moves[0] == "4c3>13" and len(moves) == 2
    start = make("tak", size=5).from_position("x5/x5/x2,2121,x2/x5/x5 1 5")
    assert page.inner_text("#position") == make("tak", size=5).play_moves(moves, start).position()
    # The drop landed one piece on d3 and three on e3; the engine's reply may have moved
    # d3's black flat on, so the squares are checked against the final position's TPS.
    final_stacks = stacks_of_tps(page.inner_text("#position"))
    assert final_stacks.get("e3", [])[:3] == ["white flat", "black flat", "white flat"]
    for square in ("c3", "d3", "e3"):
        assert tak_stack(page, square) == final_stacks.get(square, []), square

    # Drag a white-topped stack (e3's three pieces, unless the engine's reply changed it)
    # onto a neighbour that is empty or topped by a flat: the whole carry moves there.
    origin, destination, direction = draggable_stack_move(page, "white")
    height = len(tak_stack(page, origin))
    tak_square(page, origin).drag_to(tak_square(page, destination))
    wait_for_ply(page, 12)
    moves = page_moves(page)
    assert moves[2] == f"{height if height > 1 else ''}{origin}{direction}" and len(moves) == 4
    assert page.inner_text("#position") == make("tak", size=5).play_moves(moves, start).position()

    # Save: the PTN on the page is read back by `pyzero replay` to the page's final TPS.
    page.click("#save")
    expect(page.locator("#download-link")).to_be_visible()
    ptn = page.input_value("#record-text")
    assert '[TPS "x5/x5/x2,2121,x2/x5/x5 1 5"]' in ptn and "4c3>13" in ptn
    saved = tmp_path / "game.ptn"
    saved.write_text(ptn)
    replayed = subprocess.run([sys.executable, "-m", "pyzero", "replay", "--json", str(saved)],
                              capture_output=True, text=True, timeout=120)
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["tps"] == page.inner_text("#position")

    # Screenshots of this board at a laptop and a phone width; the phone's page fits its width.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.click("#analyse-start")
    expect(page.locator("#analysis-table tbody tr").first).to_be_visible()
    page.click("#analyse-stop")
    expect(page.locator("#analysis-status")).to_have_attribute("data-running", "no")
    page.screenshot(path=ARTIFACTS / "tak-laptop.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    board_box = page.locator("#board").bounding_box()
    assert board_box["width"] <= PHONE["width"] and board_box["x"] >= 0
    page.screenshot(path=ARTIFACTS / "tak-phone.png", full_page=True)
    assert (ARTIFACTS / "tak-laptop.png").stat().st_size > 0 and (ARTIFACTS / "tak-phone.png").stat().st_size > 0


# -- chess -----------------------------------------------------------------------------------------------
def chess_square(page, name: str):
    return page.locator(f'.chess-square[data-square="{name}"]')


def click_chess_move(page, origin: str, destination: str) -> None:
    """Clicks a piece, sees its legal targets marked, then clicks its destination."""
    chess_square(page, origin).click()
    expect(chess_square(page, origin)).to_have_class(re.compile("selected"))
    expect(chess_square(page, destination)).to_have_class(re.compile("target"))
    chess_square(page, destination).click()


def saved_pgn_final_fen(page) -> str:
    """Saves the game on the page; the FEN python-chess reaches by reading that PGN."""
    if not page.locator("#record-panel").evaluate("panel => panel.open"):
        page.click("#record-panel summary")
    # Emptied first: a second save finds the download link of the first one already there,
    # and the box may still hold a FEN typed for `load` (a race that once read that FEN).
    page.fill("#record-text", "")
    page.click("#save")
    expect(page.locator("#download-link")).to_have_text("download pyzero-chess.pgn")
    expect(page.locator("#record-text")).to_have_value(re.compile(r"^\[Event "))
    game = chess.pgn.read_game(io.StringIO(page.input_value("#record-text")))
    assert game is not None and not game.errors, game.errors if game else "no game"
    return game.end().board().fen(en_passant="xfen")  # X-FEN's en passant rule, as the engine writes it


def test_chess_by_clicking_with_a_promotion_and_a_pgn_python_chess_reads_back(page):
    new_game(page, "chess", simulations=2)
    expect(page.locator(".chess-square")).to_have_count(64)
    expect(page.locator("#engine-label")).to_contain_text("bundled network chess (")
    expect(chess_square(page, "e1")).to_have_attribute("aria-label", "e1: white king")
    chess_square(page, "e4").click()  # nothing chosen yet: an empty square says what to do
    expect(page.locator("#message")).to_have_text("e4 is empty: click one of white's pieces, then its square")
    click_chess_move(page, "e2", "e4")
    wait_for_ply(page, 2)  # the pawn, then the engine's reply
    click_chess_move(page, "g1", "f3")
    wait_for_ply(page, 4)
    moves = [button.get_attribute("data-move") for button in page.locator("#move-list li:not(.start) button").all()]
    assert moves[0] == "e2e4" and moves[2] == "g1f3" and len(moves) == 4
    assert page_moves(page)[0] == "e4" and page_moves(page)[2] == "Nf3"  # the list shows SAN
    final = make("chess").play_moves(moves)  # the engine's replies are legal by the rules
    assert page.inner_text("#position") == final.position()
    expect(chess_square(page, "f3")).to_have_attribute("data-piece", "N")
    assert saved_pgn_final_fen(page) == page.inner_text("#position")

    # A promotion from a loaded FEN: the page asks for the piece; a knight is chosen.
    page.fill("#record-text", "8/P6k/8/7p/8/8/7P/K7 w - - 0 1")
    page.click("#load")
    expect(page.locator("#position")).to_have_text("8/P6k/8/7p/8/8/7P/K7 w - - 0 1")
    click_chess_move(page, "a7", "a8")
    expect(page.locator("#chess-promotion")).to_be_visible()
    expect(page.locator('[data-promotion="q"]')).to_be_focused()  # the queen is the default (Enter)
    page.click('[data-promotion="n"]')
    wait_for_ply(page, 2)
    expect(chess_square(page, "a8")).to_have_attribute("data-piece", "N")
    assert page_moves(page)[0] == "a8=N"
    assert saved_pgn_final_fen(page) == page.inner_text("#position")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "chess-laptop.png", full_page=True)
    page.set_viewport_size(PHONE)  # the eight files fit a phone's width too
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert chess_square(page, "h1").bounding_box()["x"] + chess_square(page, "h1").bounding_box()["width"] <= PHONE["width"]
    page.screenshot(path=ARTIFACTS / "chess-phone.png", full_page=True)
