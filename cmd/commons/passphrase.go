package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/term"

	"github.com/commons-p2p/commons/node/repo"
)

// terminalAsker asks for the keystore's passphrase on the terminal,
// without echo; nil when stdin is not a terminal, so that a daemon started
// by a service manager fails with a clear error rather than wait. With
// confirm it asks twice and refuses two different answers.
func terminalAsker(env *Env, confirm bool) repo.PassphraseAsker {
	f, ok := env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	read := func(prompt string) ([]byte, error) {
		fmt.Fprint(env.Stderr, prompt)
		p, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		return p, err
	}
	return func() ([]byte, error) {
		p, err := read("keystore passphrase: ")
		if err != nil || !confirm {
			return p, err
		}
		again, err := read("again: ")
		if err != nil {
			return nil, err
		}
		if string(again) != string(p) {
			return nil, errors.New("the two passphrases differ")
		}
		return p, nil
	}
}

// passphraseFlags are the flags that name where a passphrase comes from.
var passphraseFlags = []Flag{
	{Name: "passphrase-file", Value: "FILE", Help: "encrypt the keystore with the passphrase in FILE (kept in the config as keystore.passphrase_file)"},
	{Name: "passphrase-env", Value: "NAME", Help: "encrypt the keystore with the passphrase in $NAME (kept in the config as keystore.passphrase_env)"},
}

// keystoreFlags reads the passphrase flags; a file's path is made absolute,
// for the daemon to find it from any directory.
func keystoreFlags(args *Args) (repo.KeystoreConfig, error) {
	c := repo.KeystoreConfig{PassphraseFile: args.Get("passphrase-file"), PassphraseEnv: args.Get("passphrase-env")}
	if c.PassphraseFile != "" && c.PassphraseEnv != "" {
		return c, usagef("give --passphrase-file or --passphrase-env, not both")
	}
	if c.PassphraseFile != "" {
		abs, err := filepath.Abs(c.PassphraseFile)
		if err != nil {
			return c, err
		}
		c.PassphraseFile = abs
	}
	return c, nil
}
