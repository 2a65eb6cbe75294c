// A tiny TCP forwarder for the cluster tests: listens on <listen-host>:<port> for each port given
// and pipes every connection to <target-host>:<same port>. One runs in the root namespace on a
// veth's root-side address (target 127.0.0.1, where the services listen) and one inside each host
// namespace on 127.0.0.1 (target the veth's root-side address), so a service's own address
// (Kafka's advertised 127.0.0.1:<port>, a DataNode redirect) works unchanged inside a host.
// Usage: node tcp-forwarder.mjs <listen-host> <target-host> <port>[,<port>...]; prints `ready`.
import net from 'node:net';

const [listenHost, targetHost, portList] = process.argv.slice(2);
if (!listenHost || !targetHost || !portList) {
  process.stderr.write('usage: tcp-forwarder.mjs <listen-host> <target-host> <port>[,<port>...]\n');
  process.exit(2);
}
const ports = portList.split(',').map(Number);

function forward(port) {
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: targetHost, port });
    // Whichever side fails or ends first ends the other: the client sees what a real peer would.
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listenHost, () => resolve(server));
  });
}

try {
  await Promise.all(ports.map(forward));
  process.stdout.write(`ready ${listenHost} -> ${targetHost} ${ports.join(',')}\n`);
} catch (err) {
  process.stderr.write(`tcp-forwarder: ${err.message}\n`);
  process.exit(1);
}
