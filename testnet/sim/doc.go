// Package sim is a scale model of a commons: a discrete-event simulation
// of 10^2 to 10^4 nodes at wide-area round-trip times, for the figures a
// machine of real daemons cannot reach (docs/PERFORMANCE.md, "Scale
// model").
//
// It uses the libp2p code that decides where a query goes: every node
// has a go-libp2p-kbucket routing table (Kademlia's buckets and XOR
// keyspace, bucket size K), filled as a network that has run for a while
// fills it; a lookup keeps its peers in kad-dht's qpeerset and follows
// kad-dht's query (alpha requests in flight, done when the beta closest
// peers heard of have answered, then the follow-up to the K closest not
// yet asked), with the daemon's parameters (node/p2p: K 20, alpha 10,
// beta 3), and a node's requests to one peer all under way at once, as
// the daemon's DHT sender sends them, each on a stream of its own (or,
// with Params.OneStreamPerPeer, one at a time, as kad-dht's own sender
// sent them before). What the daemon does with lookups is
// modelled on node/swarm and node/query.go: an attribution of a dataset
// never seen looks up the providers of the dataset's object key, of its
// claims-about key and of its derived-from key at once, fetches the
// dataset from the first provider found (a synced write stores it, and
// the node announces it), or stops looking for it once the announce topic
// brought it (when the run has one), and ends when all three are done; a
// publisher's provide is a closest-peers lookup, then a provider record
// to each of the K closest. Gossip is GossipSub's mesh (D, Dlo, Dhi),
// forwarding on receipt and IHAVE/IWANT gossip at heartbeats
// (gossip.go).
//
// Time is simulated: a message takes half a round-trip time, drawn with
// jitter, and a lost packet costs TCP a retransmission timeout; a
// request to a peer the node is not connected to pays the dial (TCP,
// security negotiation, handshake, identify) first; each request and
// response costs CPU at the node that handles it, queued behind that
// node's other work (or, to model one machine running every daemon, on
// a pool of shared cores, which other work may share too). The costs
// are measured on real libp2p hosts and real daemons (testnet/cmd/sim
// measure): a hop's CPU time is charged as CPU, the rest of it as a
// wait that holds none, so that a wait for a core on the measuring
// machine is not charged as work. A fraction of the
// nodes can be offline: still in the others' routing tables, they fail
// every dial.
//
// A run is determined by its seed. The package never touches the network
// or the clock.
package sim
