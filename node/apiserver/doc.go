// Package apiserver serves the daemon's HTTP API (/v1/..., SPEC.md §6.2)
// over a Service, the node's operations in the types of package api: the
// routes, the guard that decides whether a request may speak for the node
// (bearer token, other origins, loopback hosts), the server's timeouts and
// the allowance of a read that searches the network, strict decoding of
// request bodies, the streamed bulk upload, and the answer of every
// refusal.
//
// It also serves the explorer's pages (package explorer, SPEC.md §6.6) on
// the same routes' mux and behind the same guard, and their login, which
// is the one POST of a form it takes and the one that changes nothing.
//
// The node builds the server over itself (node.Handler): it passes the
// Service, the handler of /metrics, and the hooks through which each
// route's requests are counted; the daemon serves it with NewServer.
//
// This package never touches the store or the network, never imports node,
// store, node/swarm or libp2p, and never decides what an operation means:
// it reads a request, calls the Service, and writes the answer. Every
// refusal it answers is an api.ErrorBody naming its error's kind, with the
// status api.StatusOf gives that kind, but for three that HTTP itself
// names: 401 for a missing or wrong token, 415 for a body of a media type
// the route does not take, 408 for a body that stalled. A bulk upload is
// answered 200 before its body is read: the answer describes each refused
// line, and its summary names the kind of what cut the upload short.
package apiserver
