// Package status is the mechanism of dinit's status endpoint (SPEC 11): an
// abstract unix socket that the loop serves, and the client that finds it.
//
// The server side is a room of the loop like the relay: its handlers only
// record that an fd is ready, and the supervisor, which owns the Server,
// calls Serve in its turn and Expire at the deadline. Nothing blocks and
// nothing grows without bound: at most MaxClients clients, a request line
// of at most MaxRequest bytes, ClientTimeout per client, a bounded batch of
// accepts and one read and one write per client per turn. Abstract sockets
// have no file permissions, so the peer's uid (SO_PEERCRED) is the one
// gate: root or dinit's own uid.
//
// It knows nothing of services: each request line goes to an Answerer, whose
// reply is written back whole. The client side (Query) is the short-lived
// process of `dinit status` and `dinit check`: it may block, always with a
// deadline. It may touch x/sys/unix and the loop, nothing else of dinit.
package status
