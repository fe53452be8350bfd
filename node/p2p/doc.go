// Package p2p is a commons node's place on the network: its libp2p host,
// the network's Kademlia DHT and the announcer that keeps the node's
// provider records alive (SPEC.md §7.2), its opinion of its peers, and
// gossip (§7.4).
//
// NewHost makes a host from the node key: TCP and QUIC, or TCP alone on a
// private network (a PSK swarm key), with a resource manager and a
// connection manager sized for a small node. Peers dialling in may take
// half of its connections at most, and an inbound guard trims them, the
// least valued and newest first, so that a flood of identities can neither
// keep the node from dialling out nor hold every inbound slot (§7.2). NewDHT runs the DHT in server
// mode under the network's own protocol prefix, so that nodes of two
// commons never share a routing table. An Announcer takes the keys a node
// must announce from a KeySource — derived from the store, so a restarted
// node announces everything again — provides each of them, and provides
// them all again every Interval, well before the records expire.
//
// The provider records other nodes give this one live in a Datastore, a
// go-datastore over a Badger directory of its own (the repo's providers/),
// so that a restarted node still answers for them until they expire; the
// DHT decides what is written there and when it expires, and the
// Datastore's limits (DatastoreLimits: records, bytes, the disk watermark)
// how much of it peers may make the node keep. A Sweeper is the
// alternative to the Announcer for nodes with millions of keys, not yet
// the default: kad-dht's sweeping provider, which announces the keys of a
// KeySource region of the keyspace by region, one exploration per region
// instead of a lookup per key, and keeps its keystore and schedule in a
// Datastore.
//
// Scores is the node's opinion of its peers, lowered by the penalties the
// fetch protocol and gossip give, raised within a bound by the answers that
// gave the node what it asked for, and decaying back with time; the host
// refuses the connections of a peer whose score falls below the ban
// threshold, and its connection manager keeps the peers that served the
// node over new ones. Gossip runs GossipSub on the network's topics (SPEC.md
// §7.4): every message is validated before it is delivered or forwarded,
// and the peer that forwards an invalid one is penalised.
//
// The package knows keys, peers and bytes, never objects: it must not read
// or write the store (a Datastore is the DHT's, never the store's), and it does not decide what a node announces or what
// a valid message is — the caller does, through the KeySource, protocol's
// ObjectKey, FileKey and ClaimsAboutKey, and the validators it gives Join.
package p2p
