// The live WebSocket: opened at config.websocket_url with ?access_token= (browsers cannot set headers on a WebSocket;
// API Gateway's $connect reads the query string). It says {"action":"hello"} as soon as it opens and the server answers
// {"type":"hello","cursor"}; every hello means "(re)connected: catch up". {"action":"ping"} every 5 minutes keeps it
// from being cut as idle (API Gateway closes a WebSocket idle for 10 minutes, and any after 2 hours); the pong needs
// nothing. When the socket closes it reconnects with backoff.
import { call, session } from './api.js';
import { serverConfig } from './config.js';

export const PING_INTERVAL_MS = 5 * 60 * 1000;

let live = null;

/**
 * handlers: onHello(reconnected) once per connection, at its first hello (an embedded server also sends one unasked, so
 * a connection may bring two; the view refreshes once), onChange(message), onNotification(message).
 */
export function startLive(handlers) {
  if (live) return;
  const s = session.get();
  if (!s) return;
  let attempt = 0;
  const state = { socket: null, closed: false, ping: null, greeted: false };
  live = state;
  const retry = () => {
    if (state.closed || live !== state || !session.get()) return;
    attempt++;
    // The server closes a revoked device's socket; a failed request will then sign it out.
    setTimeout(() => { if (!state.closed && live === state && session.get()) { call('/auth/list_devices', {}).catch(() => {}); connect(); } }, Math.min(30000, 500 * 2 ** attempt));
  };
  const connect = async () => {
    let url;
    try {
      const { websocket_url: base } = await serverConfig();
      url = new URL(base, location.href);
      url.protocol = url.protocol.replace(/^http/, 'ws');
      url.searchParams.set('access_token', s.access_token);
    } catch { retry(); return; }
    if (state.closed) return;
    const socket = new WebSocket(url.href);
    state.socket = socket;
    let greeted = false;
    socket.onopen = () => {
      socket.send(JSON.stringify({ action: 'hello' }));
      clearInterval(state.ping);
      state.ping = setInterval(() => { if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ action: 'ping' })); }, PING_INTERVAL_MS);
    };
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (message.type === 'hello') {
        if (greeted) return;
        greeted = true;
        // Connected only now: the server has the socket among the device's and pushes changes to it.
        document.body.dataset.live = 'connected';
        handlers.onHello?.(state.greeted);
        state.greeted = true;
        attempt = 0;
      } else if (message.type === 'change') {
        handlers.onChange?.(message);
      } else if (message.type === 'notification') {
        handlers.onNotification?.(message);
      }
      // 'pong' (the keep-alive's answer) needs nothing.
    };
    socket.onclose = () => {
      clearInterval(state.ping);
      if (state.socket !== socket) return;
      document.body.dataset.live = 'disconnected';
      retry();
    };
  };
  connect();
}

export function stopLive() {
  if (!live) return;
  live.closed = true;
  clearInterval(live.ping);
  live.socket?.close();
  live = null;
}
