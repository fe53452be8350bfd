package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// SwarmKeyNewCommand writes a new swarm key, the pre-shared key of a
// private network. It needs no repo and no daemon.
type SwarmKeyNewCommand struct{}

func (SwarmKeyNewCommand) Synopsis() string {
	return "write a new swarm key for a private network (offline)"
}
func (SwarmKeyNewCommand) Usage() string {
	return `usage: commons swarm key new [--out FILE]

Writes a new swarm key, 32 random bytes in the /key/swarm/psk/1.0.0/ format
of libp2p and Kubo, to FILE with mode 0600, or to stdout without --out.
Nodes that share the key form a private network: they talk only to one
another, over TCP, and everything between them is encrypted with the key.
Give the file to every node with ` + "`commons init --swarm-key FILE`" + `, and keep
it secret. FILE is never overwritten. Needs no repo and no daemon.
`
}

func (SwarmKeyNewCommand) Flags() []Flag {
	return []Flag{
		{Name: "out", Value: "FILE", Help: "where to write the key (mode 0600; default stdout)"},
	}
}

func (SwarmKeyNewCommand) Run(_ context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	if !args.Has("out") && env.JSON {
		return usagef("--json needs --out FILE: the key itself is not JSON")
	}
	key, err := repo.NewSwarmKey(rand.Reader)
	if err != nil {
		return err
	}
	if !args.Has("out") {
		_, err := env.Stdout.Write(key)
		return err
	}
	out, err := filepath.Abs(args.Get("out"))
	if err != nil {
		return err
	}
	if err := writeSecretFile(out, key); err != nil {
		return err
	}
	res := struct {
		File string `json:"file"`
	}{out}
	return env.PrintTable(res, func(t *table) {
		t.rowf("wrote swarm key %s", res.File)
		t.rowf("every node of the network starts with: commons init --swarm-key %s", res.File)
	})
}

// writeSecretFile writes b to a new file at path, readable by its owner
// only; an existing file is left as it is.
func writeSecretFile(path string, b []byte) error {
	const op = "write swarm key"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return protocol.E(op, protocol.Exists, "%s exists; nothing was written", path)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
