// Package repo is a commons node's directory on disk: its config, its
// keystore, the genesis of its network, the swarm key of a private network,
// and the files through which a client finds the running daemon. It opens
// and creates repos (Open, Init), reads and checks config.json (Config),
// keeps the named keys, plain or encrypted under a passphrase (Keystore,
// keyfile.go), and decides which network the repo belongs to (JoinNetwork,
// SettleNetwork).
//
// The package reads and writes the repo's files and nothing else: it must
// never import store, never open a network connection or serve HTTP (it
// does not import node/p2p; the libp2p packages it uses, crypto, peer,
// pnet and multiaddr, are encodings), and never decide what an object
// means: protocol decides, this package only keeps. What needs
// the store as well — rotating a key, moving a commons of one into a
// network — is node's, which calls this package for the files. Every file
// it writes is written whole beside its place, synced and renamed (or
// linked) into it, so that a crash leaves the old file or the new one.
//
// SPEC.md §6.1 says what every implementation must do with a repo: where
// it is, what `init`, a failed daemon start, `key encrypt` and `key rotate`
// must and must not change, and the format of a key file ("Keys at rest").
// How this implementation lays the repo out is written down here.
//
// # Layout
//
// The repo is `--repo DIR`, else $COMMONS_PATH (EnvPath), else ~/.commons
// (Resolve). The directory is mode 0700. Init writes config.json last, so
// its presence marks a complete repo; `commons daemon` creates a repo when
// config.json is absent (OpenOrInit).
//
//	config.json                      the node's config (below), mode 0600
//	genesis.json                     the genesis of the repo's network (SPEC.md §7.1), byte
//	                                 for byte as given, mode 0644; absent until the repo
//	                                 joins one; replaced only by `commons join`
//	keys/node.key                    the node key: an Ed25519 private key in the libp2p
//	                                 protobuf encoding (crypto.MarshalPrivateKey), or that
//	                                 encoding encrypted (SPEC.md §6.1, "Keys at rest"),
//	                                 mode 0600
//	keys/NAME.key                    named keys of the keystore, same encodings, mode 0600;
//	                                 NAME is 1–64 of [a-z0-9_-] starting with a letter or
//	                                 digit (CheckKeyName); "node" names the node key
//	keys/NAME.key.next               while `key rotate NAME` runs, or after it was
//	                                 interrupted: the new key, same encodings
//	keys/retired/NAME.MULTIBASE.key  a key that `key rotate` replaced, same encodings
//	                                 (encrypted under the name retired/NAME.MULTIBASE);
//	                                 MULTIBASE is its did:key after "did:key:"
//	data/                            the Badger store (SPEC.md §5, store/SCHEMA.md)
//	providers/                       the provider records other nodes gave this one
//	                                 (SPEC.md §7.2), a Badger of their own that the DHT
//	                                 writes (node/p2p.Datastore); created by the daemon
//	api                              while a daemon runs: the host:port its HTTP API
//	                                 listens on, one line
//	api.token                        when the config sets api_token: the token, mode 0600
//	swarm.key                        when the network is private: the pre-shared key in the
//	                                 /key/swarm/psk/1.0.0/ format (swarmkey.go, SPEC.md §7.2),
//	                                 mode 0600, written by `init --swarm-key FILE`
//
// The lock a running daemon holds is the store's: flock on data/ (Lock).
// Commands that rewrite the repo's files while the daemon is stopped (`key
// encrypt`, `key rotate`, `commons join`) take it, and refuse while a daemon
// holds it.
//
// # config.json
//
// Every field is optional; Open fills the missing ones with the defaults.
//
//   - api: the HTTP API's listen address; default 127.0.0.1:5780
//     (DefaultAPIAddr).
//   - api_token: when set, every API request must carry it (SPEC.md §6.2),
//     and the daemon writes it to api.token for the CLI.
//   - listen: the libp2p listen multiaddrs; default /ip4/0.0.0.0/tcp/4780
//     and /ip4/0.0.0.0/udp/4780/quic-v1. A repo with swarm.key listens on
//     its TCP addresses only.
//   - bootstrap: multiaddrs ending in /p2p/PEER, dialled at every start.
//   - gossip: default true; false leaves the announce topic, so new objects
//     travel by the DHT alone.
//   - announcer: how the node keeps its keys announced on the DHT (SPEC.md
//     §7.2): "sweep" (default), region by region of the keyspace, its
//     keystore and schedule kept in providers/; "each", a lookup per key,
//     every key again at every start and every 12 h.
//   - limits: the peer-to-peer host's limits (SPEC.md §7.2), each 0 for the
//     default of node/p2p: conn_low 64 and conn_high 96, the connection
//     manager's watermarks; max_conns 128, max_conns_inbound half of
//     max_conns, max_streams 2048, max_memory 128 MiB and max_fd 512, the
//     resource manager's system limits.
//   - storage: what peers may make the node store unasked (SPEC.md §7.4,
//     "Storage budgets"), each 0 for the default: signer_objects 1000 and
//     signer_bytes 64 MiB, what one issuer may per hour; peer_objects 4000
//     and peer_bytes 256 MiB, what one peer may pass on per hour;
//     stranger_objects 8000 and stranger_bytes 512 MiB, what all strangers
//     together may; min_free 0.10, the fraction of the repo's filesystem
//     below which strangers' objects are not stored; max_bytes (default
//     none), the store size past which they are not stored either; trusted,
//     DIDs whose objects are stored without budget, as the stewards';
//     provider_records 4000000 and provider_bytes 1 GiB (keys and values),
//     the DHT provider records peers may make the node keep in providers/
//     (SPEC.md §7.2): past either, or below min_free, a new record is
//     refused — at some 200 bytes a record, four million are the records
//     of a node among 100 in a network of 20 million keys.
//   - keystore: passphrase_file (a path) or passphrase_env (the name of an
//     environment variable), where the daemon reads the passphrase of an
//     encrypted keystore (SPEC.md §6.1, "Keys at rest").
//   - explorer: public (default false) opens the explorer's pages and the
//     read-only routes they read to GET and HEAD without api_token (SPEC.md
//     §6.6); every POST, and the node's keys, peers and metrics, still
//     need it.
//
// `--api`, `--listen` and `--bootstrap` (added to the config's) on `daemon`
// override the config for one run; on `init` they are written into it.
//
// Open refuses a config that is not JSON of these fields' types (a trusted
// entry that is not a did:key, say), and Config.Validate, which Open and
// the daemon call, refuses any of these, so that no command opens a repo
// whose config holds one: a non-loopback api without api_token; a listen
// or bootstrap address that does not parse; a bootstrap address without
// its peer; a negative limit; conn_low above conn_high; max_conns_inbound
// above max_conns; a negative storage value (provider_records and provider_bytes among them); a min_free not below 1; both
// passphrase_file and passphrase_env.
package repo
