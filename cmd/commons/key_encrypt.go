package main

import (
	"context"

	"github.com/commons-p2p/commons/node/repo"
)

// KeyEncryptCommand encrypts a plain keystore in place.
type KeyEncryptCommand struct{}

func (KeyEncryptCommand) Synopsis() string { return "encrypt the keystore under a passphrase" }
func (KeyEncryptCommand) Flags() []Flag    { return passphraseFlags }
func (KeyEncryptCommand) Usage() string {
	return `usage: commons key encrypt [--passphrase-file FILE | --passphrase-env NAME]

Encrypts every plain key file of the repo in place, the node key first,
under a passphrase: the one in FILE or in $NAME, whose name is then kept in
the config for the daemon to read at every start; without either flag, the
one the config names, else one asked twice on the terminal. Keys already
encrypted must open with the same passphrase. Every key is read before any
is written, so a wrong passphrase changes nothing; each file is replaced
whole. Stop the daemon first: the command refuses while it runs.
`
}

func (KeyEncryptCommand) Run(_ context.Context, env *Env, args *Args) error {
	if _, err := args.positionals(); err != nil {
		return err
	}
	dir, err := env.Repo()
	if err != nil {
		return err
	}
	src, err := keystoreFlags(args)
	if err != nil {
		return err
	}
	done, err := repo.EncryptKeys(dir, src, terminalAsker(env, true))
	if err != nil {
		return err
	}
	out := struct {
		Encrypted []string `json:"encrypted"`
	}{done}
	if out.Encrypted == nil {
		out.Encrypted = []string{}
	}
	return env.PrintTable(out, func(t *table) {
		if len(done) == 0 {
			t.rowf("every key was already encrypted")
		}
		for _, n := range done {
			t.row("encrypted:", n)
		}
	})
}
