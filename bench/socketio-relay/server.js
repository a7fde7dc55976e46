// The Socket.IO 4 reference: two sockets that connect with the same ?pair= are joined and every
// "msg" event one emits is emitted to the other. No persistence, no checks.
const { Server } = require("socket.io");

const io = new Server(Number(process.env.PORT || 3000), { transports: ["websocket"], perMessageDeflate: false });
const waiting = new Map();

io.on("connection", (socket) => {
  const pair = String(socket.handshake.query.pair);
  const first = waiting.get(pair);
  if (first) {
    waiting.delete(pair);
    first.data.peer = socket;
    socket.data.peer = first;
  } else {
    waiting.set(pair, socket);
  }
  socket.on("msg", (message) => socket.data.peer?.emit("msg", message));
  socket.on("disconnect", () => waiting.get(pair) === socket && waiting.delete(pair));
});

console.log(`socket.io relay listening on ${process.env.PORT || 3000}`);
