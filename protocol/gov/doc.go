// Package gov is the governance of a commons (SPEC.md §8): the updates its
// stewards sign (Update: proposals, votes, rotations), the DAG they form
// (DAG, with the updates it holds until their parents arrive), the fold
// that orders and applies them (Fold), the state it yields (State) and the
// canonical form and hash of that state; and the decisions of sync (sync.go):
// the door every update passes (Admit), what to do with an update a peer
// gossips (DecideUpdate: accept, hold and fetch its ancestors, reject,
// ignore), with the heads it announces (CompareHeads), and what one sync
// asks for (ToFetch). Golden transcripts in testdata/ check the fold
// (testdata/fold) and the sync decisions (testdata/sync).
//
// Everything here is a pure function of its inputs: the same updates give
// the same state and the same hash on every node, whatever order they
// arrived in. So the package never does I/O (no network, no files, no
// logs), never reads the clock (a caller that needs "now" passes it in),
// never starts a goroutine and never takes a lock: a DAG is not safe for
// concurrent use, and its owner (the node) holds the lock, runs the timers
// and talks to peers. The one exception is memoisation: a State is an
// immutable snapshot that many goroutines may read, and computes its hash
// and index once (sync.Once), as the canonical forms of closed proposals
// are computed once. It imports protocol and nothing of this module
// above it; protocol never imports gov.
//
// # Adding an operation
//
// An operation a proposal can ask for is one entry of govOps in ops.go:
// its action, the members of §8.1 it uses, the check of their values, when
// it is void and what it does when it passes. The decoder, the fold, the
// canonical form, the JSON of the state and ActionFields all read that
// table. Besides the entry: its rows in SPEC.md §8.1 and §8.5, a new
// Action constant, and, for the command line, an entry of the table in
// cmd/commons/gov_propose.go; a member no operation used before is also a
// row of govFields and a field of Proposal. TestNewGovOperationIsOneEntry
// adds a throwaway operation this way.
package gov
