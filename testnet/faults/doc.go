// Package faults runs real commons daemons, each in a Linux network
// namespace of its own, under faults: links shaped by tc netem (or, on a
// kernel without netem, carried through TUN devices by the harness),
// partitions made with nftables, daemons killed and restarted, a clock
// offset, a steward's key voting both ways, a hostile peer flooding
// gossip and fetch. A Workload publishes, reads and governs while the
// faults happen; its Check says afterwards what went wrong: acknowledged
// objects not found from every node, more than one state hash, crashes,
// refused objects held. The schedules (Schedules) are run by
// testnet/cmd/faults, which prints one JSON Summary.
//
// It needs root, iproute2 and nftables (Check says why it cannot run).
// The host's own network namespace is never changed.
package faults
