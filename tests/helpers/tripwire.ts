/** A TCP listener standing in for a host's sshd: it records whether anybody connected. */
export function tripwire(): { port: number; touched: () => boolean; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.77", port: 0 });
  let touched = false;
  (async () => {
    try {
      for await (const conn of listener) {
        touched = true;
        conn.close();
      }
    } catch { /* closed */ }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    touched: () => touched,
    close: () => listener.close(),
  };
}
