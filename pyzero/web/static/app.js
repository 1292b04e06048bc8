// The page of `pyzero serve`: draws what the server sends, sends what the person does.
// The server owns the game (rules, position tree, engine); this script only composes
// moves from clicks, so every move, legal or not, is checked by the same code as a typed one.
"use strict";

const $ = (selector) => document.querySelector(selector);
const FILES = "abcdefghijklmnopqrstuvwxyz";

const page = {
  socket: null,
  hello: null,
  state: null,
  selectedSquare: null, // Tak: the stack chosen to move; chess: the piece chosen to move
  pendingPromotion: null, // chess: the moves (one per piece) a pawn's last click could mean
  maxMessageBytes: 65536,
};

// -- the connection --------------------------------------------------------------------------
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  page.socket = socket;
  socket.addEventListener("open", () => setConnection("connected", "ok"));
  socket.addEventListener("close", () => setConnection("disconnected: reload the page to start again", "bad"));
  socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
}

function setConnection(text, kind) {
  const element = $("#connection");
  element.textContent = text;
  element.dataset.kind = kind;
}

function send(message) {
  const text = JSON.stringify(message);
  if (new Blob([text]).size > page.maxMessageBytes) {
    showMessage(`that is too large to send (the limit is ${page.maxMessageBytes} bytes)`, "error");
    return;
  }
  if (!page.socket || page.socket.readyState !== WebSocket.OPEN) {
    showMessage("not connected to the server: reload the page", "error");
    return;
  }
  showMessage("", "");
  page.socket.send(text);
}

function receive(message) {
  const handlers = {
    hello: onHello,
    state: onState,
    error: (m) => showMessage(m.message, "error"),
    thinking: onThinking,
    analysis: onAnalysis,
    record: onRecord,
  };
  const handler = handlers[message.type];
  if (handler) handler(message);
}

function showMessage(text, kind) {
  const element = $("#message");
  element.textContent = text;
  element.dataset.kind = kind;
}

// -- what the server says ----------------------------------------------------------------------
function onHello(hello) {
  page.hello = hello;
  page.maxMessageBytes = hello.max_message_bytes;
  const games = $("#game-select");
  games.replaceChildren(...hello.games.map((game) => option(game.key, game.label)));
  drawCheckpoints(hello.checkpoints);
  if (hello.limits.seconds) {
    $("#limit-kind").value = "seconds";
    $("#limit-value").value = hello.limits.seconds;
  } else {
    $("#limit-value").value = hello.limits.simulations;
  }
}

function drawCheckpoints(names) {
  const checkpoints = $("#checkpoint-select");
  const chosen = checkpoints.value;
  const latest = names.length ? "latest" : "none yet (untrained network)";
  checkpoints.replaceChildren(option("", latest), ...names.map((name) => option(name, name)));
  checkpoints.value = names.includes(chosen) ? chosen : "";
}

function option(value, label) {
  const element = document.createElement("option");
  element.value = value;
  element.textContent = label;
  return element;
}

function onState(state) {
  page.state = state;
  page.selectedSquare = null;
  page.pendingPromotion = null;
  $("#game-select").value = state.game.key;
  $("#side-select").value = String(state.human_side);
  drawCheckpoints(state.checkpoints);
  $("#checkpoint-select").value = state.checkpoint;
  const trained = (page.hello?.games || []).find((game) => game.key === state.game.key)?.trained;
  $("#checkpoint-select").disabled = !trained;
  $("#engine-label").textContent = state.engine;
  drawStatus(state);
  drawBoard(state);
  drawMoveList(state);
  drawVariations(state);
  $("#undo").disabled = !state.can_undo;
  $("#redo").disabled = !state.can_redo;
  $("#engine-move").disabled = Boolean(state.result);
  $("#analyse-start").disabled = Boolean(state.result);
}

function onThinking(message) {
  document.body.classList.toggle("thinking", message.active);
  $("#stop-engine").disabled = !message.active;
  if (message.active) {
    $("#status").textContent = `${message.engine} is thinking…`;
  }
}

function onAnalysis(report) {
  const status = $("#analysis-status");
  if (report.error) {
    status.textContent = report.error;
  } else {
    const value = report.value === null ? "" : `, value ${signed(report.value)} for the side to move`;
    status.textContent = `${report.running ? "running" : "stopped"}: ${report.visits} visits in `
      + `${report.seconds.toFixed(1)} s${value}`;
  }
  status.dataset.running = report.running ? "yes" : "no";
  const rows = report.rows.map((row) => {
    const cells = [row.move + (row.chosen ? " *" : ""), String(row.visits),
                   row.q === null ? "-" : signed(row.q), `${(100 * row.prior).toFixed(1)}%`, row.pv.join(" ")];
    const tr = document.createElement("tr");
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  $("#analysis-table tbody").replaceChildren(...rows);
}

function onRecord(record) {
  $("#record-panel").open = true;
  $("#record-text").value = record.text;
  const link = $("#download-link");
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([record.text], { type: "text/plain" }));
  link.download = record.filename;
  link.textContent = `download ${record.filename}`;
  link.hidden = false;
}

function signed(value) {
  return (value >= 0 ? "+" : "") + value.toFixed(3);
}

// -- drawing -----------------------------------------------------------------------------------
function drawStatus(state) {
  const status = $("#status");
  status.dataset.ply = state.ply; // which position the page shows (tests wait on it)
  $("#position").textContent = state.position;
  if (state.result) {
    status.textContent = `game over: ${state.result_text}`;
    status.dataset.over = "yes";
    return;
  }
  status.dataset.over = "no";
  const who = state.to_move === state.human_side ? "you" : "engine";
  status.textContent = `ply ${state.ply}: ${state.side_names[state.to_move]} to move (${who})`;
}

function drawBoard(state) {
  const board = $("#board");
  const layout = state.board;
  const columns = layout.column_labels.length;
  const hasRowLabels = layout.row_labels.length > 0;
  board.className = `board board-${layout.kind} game-${state.game.name}`;
  board.style.setProperty("--columns", columns);
  board.style.gridTemplateColumns = `${hasRowLabels ? "1.2rem " : ""}repeat(${columns}, minmax(0, 1fr))`;
  const cells = [];
  layout.rows.forEach((row, rowIndex) => {
    if (hasRowLabels) cells.push(label(layout.row_labels[rowIndex]));
    const drawSquare = { tak: takSquare, chess: chessSquare }[layout.kind] || gridSquare;
    row.forEach((square) => cells.push(drawSquare(square, state)));
  });
  if (hasRowLabels) cells.push(label(""));
  layout.column_labels.forEach((text) => cells.push(label(text)));
  board.replaceChildren(...cells);
  $("#tak-controls").hidden = layout.kind !== "tak";
  $("#chess-promotion").hidden = true;
  $("#reserves").textContent = layout.reserves || "";
  updateStackMove();
  updateChessSelection();
}

function label(text) {
  const element = document.createElement("div");
  element.className = "label";
  element.textContent = text;
  return element;
}

function gridSquare(square) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = `square mark-${square.mark === "." ? "empty" : square.mark}`;
  button.dataset.move = square.click;
  button.textContent = square.mark === "." ? "" : square.mark;
  button.setAttribute("aria-label", `${square.click}: ${square.mark === "." ? "empty" : square.mark}`);
  button.addEventListener("click", () => send({ type: "move", move: square.click }));
  return button;
}

const TAK_SHOWN_PIECES = 7; // taller stacks show their top pieces and a count

function takSquare(square, state) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "square tak-square";
  button.dataset.square = square.square;
  button.dataset.height = square.stack.length;
  const words = square.stack.map((piece) => `${piece.owner} ${piece.kind}`);
  button.setAttribute("aria-label", `${square.square}: ${words.length ? words.join(", ") + " (bottom to top)" : "empty"}`);
  button.title = button.getAttribute("aria-label");
  const stack = document.createElement("div");
  stack.className = "stack";
  const shown = square.stack.slice(-TAK_SHOWN_PIECES);
  stack.style.setProperty("--pieces", shown.length + (shown.some((piece) => piece.kind !== "flat") ? 1 : 0));
  for (const piece of shown) {
    const element = document.createElement("div");
    element.className = `piece ${piece.owner} ${piece.kind}`;
    stack.append(element);
  }
  button.append(stack);
  if (square.stack.length > 1) {
    const count = document.createElement("span");
    count.className = "height";
    count.textContent = square.stack.length;
    button.append(count);
  }
  button.addEventListener("click", () => onTakClick(square, state));
  wireStackDrag(button, square, state);
  return button;
}

// Dragging one of your stacks onto a neighbouring square moves it like a click there:
// the pieces and drops set in the panel (all the carry limit allows, unless changed).
function wireStackDrag(button, square, state) {
  const top = square.stack[square.stack.length - 1];
  if (top && top.owner === state.side_names[state.to_move] && !state.result) {
    button.draggable = true;
    button.addEventListener("dragstart", (event) => {
      if (page.selectedSquare !== square.square) selectStack(square.square, square.stack.length);
      event.dataTransfer.setData("text/plain", square.square);
      event.dataTransfer.effectAllowed = "move";
    });
  }
  button.addEventListener("dragover", (event) => {
    if (page.selectedSquare && directionBetween(page.selectedSquare, square.square)) event.preventDefault();
  });
  button.addEventListener("drop", (event) => {
    event.preventDefault();
    const direction = page.selectedSquare && directionBetween(page.selectedSquare, square.square);
    if (direction) sendStackMove(direction);
  });
}

function drawMoveList(state) {
  const items = [];
  const start = document.createElement("li");
  start.append(plyButton("start", state.start_ply, state.line.every((node) => !node.current)));
  start.className = "start";
  items.push(start);
  for (const node of state.line) {
    const item = document.createElement("li");
    const text = `${node.ply}. ${node.notation || node.move}` + (node.alternatives ? ` (+${node.alternatives})` : "");
    const button = plyButton(text, node.ply, node.current);
    button.dataset.move = node.move; // the move itself (UCI for chess, whose list shows SAN)
    item.append(button);
    item.className = node.side;
    items.push(item);
  }
  $("#move-list").replaceChildren(...items);
}

function plyButton(text, ply, current) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = text;
  button.dataset.ply = ply;
  if (current) button.setAttribute("aria-current", "step");
  button.addEventListener("click", () => send({ type: "goto", ply }));
  return button;
}

function drawVariations(state) {
  const element = $("#variations");
  if (state.variations.length < 2) {
    element.replaceChildren();
    return;
  }
  const buttons = state.variations.map((move) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = move;
    button.addEventListener("click", () => send({ type: "move", move }));
    return button;
  });
  element.replaceChildren(document.createTextNode("moves tried here: "), ...buttons);
}

// -- Tak: placing and moving stacks -------------------------------------------------------------
function onTakClick(square, state) {
  const selected = page.selectedSquare;
  if (selected) {
    if (selected === square.square) {
      selectStack(null);
      return;
    }
    const direction = directionBetween(selected, square.square);
    if (direction) {
      sendStackMove(direction);
      return;
    }
  }
  if (square.stack.length === 0) {
    const piece = document.querySelector('input[name="piece"]:checked').value;
    send({ type: "move", move: piece + square.square });
    return;
  }
  const top = square.stack[square.stack.length - 1];
  if (top.owner === state.side_names[state.to_move]) {
    selectStack(square.square, square.stack.length);
  } else {
    showMessage(`${square.square}: the stack's top piece is ${top.owner}'s; ${state.side_names[state.to_move]} moves`, "error");
  }
}

function selectStack(squareName, height) {
  page.selectedSquare = squareName;
  if (squareName) {
    const carry = Math.min(height, page.state.board.size);
    $("#move-count").max = carry;
    $("#move-count").value = carry;
    $("#move-drops").value = "";
  }
  updateStackMove();
}

function updateStackMove() {
  const selected = page.selectedSquare;
  for (const element of document.querySelectorAll(".tak-square")) {
    element.classList.toggle("selected", element.dataset.square === selected);
  }
  $("#stack-move").disabled = !selected;
  $("#selected-square").textContent = selected ? `from ${selected}` : "(click one of your stacks)";
}

function directionBetween(from, to) {
  const fileStep = FILES.indexOf(to[0]) - FILES.indexOf(from[0]);
  const rankStep = Number(to.slice(1)) - Number(from.slice(1));
  if (fileStep === 0 && rankStep === 1) return "+";
  if (fileStep === 0 && rankStep === -1) return "-";
  if (rankStep === 0 && fileStep === -1) return "<";
  if (rankStep === 0 && fileStep === 1) return ">";
  return null;
}

function sendStackMove(direction) {
  const count = Number($("#move-count").value) || 1;
  const drops = $("#move-drops").value.trim();
  send({ type: "move", move: `${count > 1 ? count : ""}${page.selectedSquare}${direction}${drops}` });
}

// -- chess: a piece, then its square ---------------------------------------------------------------
// The solid glyph of each piece, coloured by its side in app.css (outlined glyphs would let
// the square show through White's pieces); U+FE0E asks for the text form, since some fonts
// draw ♟ as an emoji.
const SOLID_GLYPHS = { k: "♚", q: "♛", r: "♜", b: "♝", n: "♞", p: "♟" };
const CHESS_PIECE_NAMES = { k: "king", q: "queen", r: "rook", b: "bishop", n: "knight", p: "pawn" };

function chessSquare(square, state) {
  const button = document.createElement("button");
  button.type = "button";
  const file = FILES.indexOf(square.square[0]);
  const rank = Number(square.square.slice(1));
  const shade = (file + rank) % 2 === 0 ? "dark" : "light"; // a1 is dark
  button.className = `square chess-square ${shade}`;
  button.dataset.square = square.square;
  button.dataset.piece = square.piece;
  const words = square.piece ? `${pieceOwner(square.piece)} ${CHESS_PIECE_NAMES[square.piece.toLowerCase()]}` : "empty";
  button.setAttribute("aria-label", `${square.square}: ${words}`);
  button.title = button.getAttribute("aria-label");
  if (square.piece) {
    const piece = document.createElement("span");
    piece.className = `chess-piece ${pieceOwner(square.piece)}`;
    piece.textContent = SOLID_GLYPHS[square.piece.toLowerCase()] + "\uFE0E";
    button.append(piece);
  }
  button.addEventListener("click", () => onChessClick(square, state));
  return button;
}

function pieceOwner(letter) {
  return letter === letter.toUpperCase() ? "white" : "black";
}

// The legal moves (UCI: e2e4, e7e8q, e1g1) from `from` to `to`: one, or four promotions.
function chessMovesBetween(state, from, to) {
  return state.legal_moves.filter((move) => move.slice(0, 2) === from && move.slice(2, 4) === to);
}

function onChessClick(square, state) {
  const selected = page.selectedSquare;
  const mover = state.side_names[state.to_move];
  const ownPiece = square.piece && pieceOwner(square.piece) === mover;
  if (selected === square.square) {
    selectChessPiece(null);
    return;
  }
  if (selected && !(ownPiece && chessMovesBetween(state, selected, square.square).length === 0)) {
    const moves = chessMovesBetween(state, selected, square.square);
    if (moves.length > 1) {
      askPromotion(moves);
    } else {
      // Not legal? The server checks it like a typed move and its message says why.
      send({ type: "move", move: moves[0] || `${selected}${square.square}` });
    }
    return;
  }
  if (ownPiece) {
    selectChessPiece(square.square);
  } else if (state.result) {
    showMessage(`the game is over (${state.result_text})`, "error");
  } else {
    const what = square.piece ? `a ${pieceOwner(square.piece)} ${CHESS_PIECE_NAMES[square.piece.toLowerCase()]}` : "empty";
    showMessage(`${square.square} is ${what}: click one of ${mover}'s pieces, then its square`, "error");
  }
}

function selectChessPiece(squareName) {
  page.selectedSquare = squareName;
  page.pendingPromotion = null;
  $("#chess-promotion").hidden = true;
  updateChessSelection();
}

// Marks the chosen piece and the squares it may move to (from the state's legal moves).
function updateChessSelection() {
  const selected = page.selectedSquare;
  const targets = new Set(selected && page.state
    ? page.state.legal_moves.filter((move) => move.slice(0, 2) === selected).map((move) => move.slice(2, 4)) : []);
  for (const element of document.querySelectorAll(".chess-square")) {
    element.classList.toggle("selected", element.dataset.square === selected);
    element.classList.toggle("target", targets.has(element.dataset.square));
  }
}

// A pawn reaching the last rank: the page asks which piece (queen first, and the default).
function askPromotion(moves) {
  page.pendingPromotion = moves;
  const panel = $("#chess-promotion");
  panel.hidden = false;
  panel.querySelector('[data-promotion="q"]').focus();
}

function promote(piece) {
  const move = (page.pendingPromotion || []).find((candidate) => candidate.slice(4) === piece);
  page.pendingPromotion = null;
  $("#chess-promotion").hidden = true;
  if (move) send({ type: "move", move });
}

// -- controls ----------------------------------------------------------------------------------
function limitsFromForm() {
  const kind = $("#limit-kind").value;
  const value = Number($("#limit-value").value);
  return kind === "seconds" ? { seconds: value } : { simulations: Math.round(value) };
}

function wireControls() {
  $("#move-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const move = $("#move-input").value.trim();
    if (!move) return;
    send({ type: "move", move });
    $("#move-input").value = "";
  });
  $("#new-game-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send({ type: "new_game", game: $("#game-select").value, human_side: Number($("#side-select").value),
           checkpoint: $("#checkpoint-select").value, limits: limitsFromForm() });
  });
  $("#apply-settings").addEventListener("click", () => {
    send({ type: "settings", checkpoint: $("#checkpoint-select").value, limits: limitsFromForm() });
  });
  for (const [id, type] of [["#undo", "undo"], ["#redo", "redo"], ["#engine-move", "engine_move"], ["#swap", "swap"],
                            ["#stop-engine", "stop"], ["#save", "save"], ["#analyse-start", "analyse_start"],
                            ["#analyse-stop", "analyse_stop"]]) {
    $(id).addEventListener("click", () => send({ type }));
  }
  $("#load").addEventListener("click", () => send({ type: "load", text: $("#record-text").value }));
  $("#record-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    if (file.size > page.maxMessageBytes) {
      showMessage(`${file.name} is too large (${file.size} bytes; the limit is ${page.maxMessageBytes})`, "error");
      return;
    }
    $("#record-text").value = await file.text(); // the text travels, never the file's path
    send({ type: "load", text: $("#record-text").value });
  });
  for (const button of document.querySelectorAll("[data-promotion]")) {
    button.addEventListener("click", () => promote(button.dataset.promotion));
  }
  $("#promotion-cancel").addEventListener("click", () => selectChessPiece(null));
  for (const button of document.querySelectorAll("[data-direction]")) {
    button.addEventListener("click", () => {
      if (page.selectedSquare) sendStackMove(button.dataset.direction);
    });
  }
}

// -- watching the run ------------------------------------------------------------------------------
const WATCH_REFRESH_MS = 5000;
let watchTimer = null;

async function refreshWatch() {
  const status = $("#watch-status");
  try {
    const response = await fetch("/api/run");
    const report = await response.json();
    if (report.error) {
      status.textContent = report.error;
      return;
    }
    drawCurves(report);
    drawSelfplayGames(report.games);
    const count = Object.keys(report.curves).length + Object.keys(report.evaluations).length;
    status.textContent = `${report.run}: ${count} curves, ${report.games.length} recent games `
      + `(refreshed ${new Date().toLocaleTimeString()})`;
  } catch (error) {
    status.textContent = `could not reach the server: ${error}`;
  }
}

function drawCurves(report) {
  const charts = [];
  for (const [name, points] of Object.entries(report.curves)) charts.push(chart(name, points));
  for (const [name, points] of Object.entries(report.evaluations)) {
    charts.push(chart(name === "arena Elo" ? name : `evaluation: ${name}`, points));
  }
  if (!charts.length) {
    const empty = document.createElement("p");
    empty.textContent = "no training curves yet (the run's tensorboard/ and evaluations.jsonl are empty)";
    charts.push(empty);
  }
  $("#curves").replaceChildren(...charts);
}

function chart(name, points) {
  // An SVG polyline in a 100x100 box stretched to the chart's size: steps across, values up.
  const figure = document.createElement("figure");
  figure.className = "chart";
  figure.dataset.curve = name;
  const steps = points.map((point) => point[0]);
  const values = points.map((point) => point[1]);
  const [low, high] = [Math.min(...values), Math.max(...values)];
  const [first, last] = [Math.min(...steps), Math.max(...steps)];
  const x = (step) => (last > first ? (100 * (step - first)) / (last - first) : 50);
  const y = (value) => (high > low ? 100 - (100 * (value - low)) / (high - low) : 50);
  const svgNamespace = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNamespace, "svg");
  svg.setAttribute("viewBox", "0 0 100 100");
  svg.setAttribute("preserveAspectRatio", "none");
  const line = document.createElementNS(svgNamespace, "polyline");
  line.setAttribute("points", points.map((point) => `${x(point[0])},${y(point[1])}`).join(" "));
  svg.append(line);
  const title = document.createElement("h3");
  title.textContent = `${name}: ${formatNumber(values[values.length - 1])}`;
  const range = document.createElement("div");
  range.className = "range";
  range.textContent = `steps ${first}–${last}; ${formatNumber(low)} to ${formatNumber(high)}`;
  figure.append(title, svg, range);
  return figure;
}

function formatNumber(value) {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

function drawSelfplayGames(games) {
  const items = games.map((game) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "replay";
    // Loaded into this tab at its start: redo (or the move list) steps through it.
    button.addEventListener("click", () => send({ type: "load", text: game.record, game: "run", at_start: true }));
    const text = document.createElement("span");
    text.textContent = ` game ${game.id}: ${game.result}, ${game.plies} plies `;
    const moves = document.createElement("code");
    moves.textContent = game.moves.join(" ");
    item.append(button, text, moves);
    return item;
  });
  $("#selfplay-games").replaceChildren(...items);
}

function wireWatch() {
  $("#watch-panel").addEventListener("toggle", () => {
    clearInterval(watchTimer);
    watchTimer = null;
    if ($("#watch-panel").open) {
      refreshWatch();
      watchTimer = setInterval(refreshWatch, WATCH_REFRESH_MS);
    }
  });
}

wireControls();
wireWatch();
connect();
