// The Node.js baseline of the fan-out benchmarks: a minimal ws server that speaks just enough of
// roomctl's skribble protocol for `roomctl loadtest --profile profiles/loadtest/fanout.yaml` to
// play against it (create/join replies, game start, round number, the word to the drawer, a
// SECOND_TIMER to every member each game second, round end and game over), and relays drawing
// messages from the drawer verbatim to the other members, as the original Node server does: one
// JSON.parse per inbound message, one ws.send per delivery. Nothing is stored, nothing is limited,
// no presence: it is the floor a relay in Node costs, not a second implementation of roomctl.
// `app_opened` gets a one-entry users_online reply so bench_clients' idle mode can count it.
// Usage: PORT=8080 ADMIN_PORT=9090 TIME_SCALE=0.2 node server.js
//   ADMIN_PORT serves /readyz and /metrics (roomctl_fanout_deliveries_total, as roomctl names it).
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const PORT = Number(process.env.PORT || 8080);
const ADMIN_PORT = Number(process.env.ADMIN_PORT || 9090);
const SECOND_MS = 1000 * Number(process.env.TIME_SCALE || 1);  // games.time_scale of roomctl
const DRAWING = new Set(['SKRIBBLE_STROKE', 'SKRIBBLE_POINT', 'SKRIBBLE_DRAW', 'SKRIBBLE_CLEAR',
  'START_SKRIBBLE_DRAWING', 'STOP_SKRIBBLE_DRAWING', 'SKRIBBLE_UNDO', 'SKRIBBLE_REDO',
  'SKRIBBLE_TOOL_CHANGE', 'SKRIBBLE_COLOR_CHANGE', 'SKRIBBLE_WIDTH_CHANGE']);
const rooms = new Map();  // roomId -> {id, members: [{user, ws}], settings, turn, phase, timer}
let deliveries = 0;

const send = (ws, o) => { if (ws.readyState === 1) ws.send(typeof o === 'string' ? o : JSON.stringify(o)); };
const toAll = (room, o, except) => {
  const text = typeof o === 'string' ? o : JSON.stringify(o);
  for (const m of room.members) if (m.user !== except && m.ws.readyState === 1) { m.ws.send(text); ++deliveries; }
};
const after = (room, seconds, fn) => { room.timer = setTimeout(fn, seconds * SECOND_MS); };

// One turn per member per round: intro (ROUND_NUMBER, then the word), drawing with a timer
// tick each game second, ROUND_END; then the next drawer or GAME_OVER. Nobody scores.
function turn(room) {
  const n = room.members.length, rounds = room.settings.rounds || 1;
  if (n === 0) return;
  if (room.turn >= rounds * n) {
    room.phase = 'lobby';
    const card = room.members.map(m => ({ userId: m.user, name: m.user, score: 0 }));
    return toAll(room, { type: 'GAME_OVER', time: 0, ScoreCard: card });
  }
  const drawer = room.members[room.turn % n], round = Math.floor(room.turn / n) + 1;
  room.drawer = drawer.user; room.word = 'apple'; room.phase = 'intro';
  toAll(room, { type: 'ROUND_NUMBER', currentRoundNo: round, currentUser: drawer.user });
  after(room, 1, () => {
    send(drawer.ws, { type: 'WORD', word: room.word, currentRoundNo: round, currentUser: drawer.user });
    toAll(room, { type: 'WORD_LENGTH', wordLength: 5, currentRoundNo: round, currentUser: drawer.user }, drawer.user);
    after(room, 3, () => { room.phase = 'drawing'; tick(room, 0); });
  });
}
function tick(room, elapsed) {
  const drawtime = room.settings.drawtime || 80;
  after(room, 1, () => {
    ++elapsed;
    toAll(room, { type: 'SECOND_TIMER', time: elapsed, timeRemaining: drawtime - elapsed });
    if (elapsed < drawtime) return tick(room, elapsed);
    room.phase = 'turn_end';
    const roundScore = Object.fromEntries(room.members.map(m => [m.user, 0]));
    toAll(room, { type: 'ROUND_END', word: room.word, roundScore });
    ++room.turn;
    after(room, 1, () => turn(room));
  });
}

function onSkribble(ws, msg, raw) {
  const id = msg.roomId, user = msg.userId;
  let room = rooms.get(id);
  switch (msg.type) {
    case 'CREATE_SKRIBBLE_ROOM':
      if (room) return send(ws, { type: 'create_room_response', status: false, roomId: id });
      room = { id, members: [{ user, ws }], settings: {}, turn: 0, phase: 'lobby', timer: null };
      rooms.set(id, room); ws.rooms.add(id);
      return send(ws, { type: 'create_room_response', status: true, roomId: id });
    case 'JOIN_SKRIBBLE_ROOM':
      if (!room) return send(ws, { type: 'join_room_response', status: false, roomId: id });
      if (!room.members.some(m => m.user === user)) room.members.push({ user, ws });
      ws.rooms.add(id);
      return send(ws, { type: 'join_room_response', status: true, roomId: id });
  }
  if (!room) return send(ws, { type: 'error', code: 'not_in_room' });
  if (DRAWING.has(msg.type)) {
    if (room.phase !== 'drawing' || user !== room.drawer) return send(ws, { type: 'error', code: 'not_drawer' });
    return toAll(room, raw, user);  // verbatim, to everyone but the drawer
  }
  switch (msg.type) {
    case 'SKRIBBLE_GAME_SETTINGS': room.settings = msg.settings || {}; return toAll(room, raw, user);
    case 'START_SKRIBBLE_GAME':
      clearTimeout(room.timer); room.turn = 0;
      toAll(room, { type: 'START_GAME', payload: 'Game started' });
      return after(room, 1, () => turn(room));
    case 'SKRIBBLE_MESSAGE': return toAll(room, raw, user);
    case 'LEAVE_SKRIBBLE_ROOM': return leave(ws, id);
  }
}

function leave(ws, id) {
  const room = rooms.get(id);
  ws.rooms.delete(id);
  if (!room) return;
  room.members = room.members.filter(m => m.ws !== ws);
  if (room.members.length === 0) { clearTimeout(room.timer); rooms.delete(id); }
}

const wss = new WebSocketServer({ port: PORT, host: '127.0.0.1', perMessageDeflate: false });
wss.on('connection', ws => {
  ws.rooms = new Set();
  ws.on('message', (data, binary) => {
    if (binary) return;
    const raw = data.toString();
    let msg;
    try { msg = JSON.parse(raw); } catch { return send(ws, { type: 'error', code: 'bad_json' }); }
    if (msg.EventFrom === 'SkribbleGame') return onSkribble(ws, msg, raw);
    if (msg.type === 'app_opened') return send(ws, { type: 'users_online', users: [{ userId: msg.userId, status: 'online' }] });
  });
  ws.on('close', () => { for (const id of [...ws.rooms]) leave(ws, id); });
});

http.createServer((req, res) => {
  if (req.url === '/metrics') return res.end(`roomctl_fanout_deliveries_total ${deliveries}\n`);
  res.end('ok\n');
}).listen(ADMIN_PORT, '127.0.0.1');
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
