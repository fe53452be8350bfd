package swarm

import (
	"context"

	"github.com/commons-p2p/commons/node/swarm/govsync"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// Governance travels on its own topic, driven by the sync the node gives
// (Config.Gov, package govsync); the swarm is its network.
var _ govsync.Net = (*Swarm)(nil)

// PublishGov publishes an update this node made on the governance topic;
// nothing on a nil swarm or one without governance.
func (s *Swarm) PublishGov(u *gov.Update) {
	if s == nil || s.govTopic == nil {
		return
	}
	s.cfg.Gov.Publish(u)
}

// FindGov asks the connected peers for governance update id and its
// missing ancestors, until found reports it is here or a few seconds
// pass; nothing on a nil swarm or one without governance.
func (s *Swarm) FindGov(ctx context.Context, id protocol.ID, found func() bool) {
	if s == nil || s.govTopic == nil {
		return
	}
	s.cfg.Gov.Find(ctx, id, found)
}
