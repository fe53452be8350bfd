package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// Command is one subcommand of commons.
type Command interface {
	// Synopsis is one line for the list of commands.
	Synopsis() string
	// Usage is the command's usage line and what it does.
	Usage() string
	// Flags are the command's own flags; --repo, --json and --help are
	// added to every command.
	Flags() []Flag
	// Run does the work. A *usageError exits 2; any other error exits 1.
	Run(ctx context.Context, env *Env, args *Args) error
}

// commands lists every command by the words that name it, in the order
// `commons help` shows them. The words before the last name a group
// ("swarm", "swarm key"); a group is never itself a command.
var commands = []struct {
	name string
	cmd  Command
}{
	{"init", InitCommand{}},
	{"genesis new", GenesisNewCommand{}},
	{"daemon", DaemonCommand{}},
	{"join", JoinCommand{}},
	{"id", IDCommand{}},
	{"swarm connect", SwarmConnectCommand{}},
	{"swarm peers", SwarmPeersCommand{}},
	{"swarm key new", SwarmKeyNewCommand{}},
	{"key new", KeyNewCommand{}},
	{"key list", KeyListCommand{}},
	{"key encrypt", KeyEncryptCommand{}},
	{"key rotate", KeyRotateCommand{}},
	{"dataset add", DatasetAddCommand{}},
	{"dataset show", DatasetShowCommand{}},
	{"dataset list", DatasetListCommand{}},
	{"claim add", ClaimAddCommand{}},
	{"claim cosign", ClaimCosignCommand{}},
	{"claim revoke", ClaimRevokeCommand{}},
	{"endorse", EndorseCommand{}},
	{"derive", DeriveCommand{}},
	{"attribution", AttributionCommand{}},
	{"license", LicenseCommand{}},
	{"notice", NoticeCommand{}},
	{"derived", DerivedCommand{}},
	{"credit", CreditCommand{}},
	{"locate", LocateCommand{}},
	{"export", ExportCommand{}},
	{"bundle", BundleCommand{}},
	{"verify", VerifyCommand{}},
	{"gov propose add-steward", GovProposeCommand{gov.ActAddSteward}},
	{"gov propose remove-steward", GovProposeCommand{gov.ActRemoveSteward}},
	{"gov propose set-threshold", GovProposeCommand{gov.ActSetThreshold}},
	{"gov propose revoke-key", GovProposeCommand{gov.ActRevokeKey}},
	{"gov propose dataset-status", GovProposeCommand{gov.ActDatasetStatus}},
	{"gov propose set-param", GovProposeCommand{gov.ActSetParam}},
	{"gov vote", GovVoteCommand{}},
	{"gov state", GovStateCommand{}},
	{"gov log", GovLogCommand{}},
	{"object get", ObjectGetCommand{}},
	{"object put", ObjectPutCommand{}},
	{"version", VersionCommand{}},
	{"help", HelpCommand{}},
}

// globalFlags are accepted anywhere on the line, by every command.
var globalFlags = []Flag{
	{Name: "repo", Value: "DIR", Help: "the repo directory (default: $COMMONS_PATH, else ~/.commons)"},
	{Name: "json", Help: "print exactly one JSON document on stdout"},
	{Name: "help", Help: "show the command's usage"},
	{Name: "h", Help: "same as --help"},
}

// Main is the commons program, with its standard streams.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// NewMain returns a Main on the process's standard streams.
func NewMain() *Main { return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr} }

// Run runs the command line args (without the program name) and returns
// the process's exit code: 0, 1 for a failure, 2 for a bad command line.
func (m *Main) Run(ctx context.Context, args []string) int {
	name, rest, err := splitCommand(args)
	if err != nil {
		return m.fail(err, "")
	}
	if name == "" {
		if hasHelp(rest) {
			fmt.Fprint(m.Stdout, mainUsage(""))
			return 0
		}
		fmt.Fprint(m.Stderr, mainUsage(""))
		return 2
	}
	cmd := lookup(name)
	if cmd == nil { // a group alone: "commons key", "commons swarm key"
		if hasHelp(rest) {
			fmt.Fprint(m.Stdout, mainUsage(name))
			return 0
		}
		fmt.Fprintf(m.Stderr, "commons: %s needs a subcommand\n\n%s", name, mainUsage(name))
		return 2
	}
	spec := append(slices.Clone(cmd.Flags()), globalFlags...)
	a, err := parseArgs(rest, spec)
	if a != nil && (a.Bool("help") || a.Bool("h")) || err != nil && hasHelp(rest) {
		fmt.Fprint(m.Stdout, commandUsage(name, cmd))
		return 0
	}
	if err != nil {
		return m.fail(err, name)
	}
	env := &Env{Stdin: m.Stdin, Stdout: m.Stdout, Stderr: m.Stderr, RepoFlag: a.Get("repo"), JSON: a.Bool("json")}
	return m.fail(cmd.Run(ctx, env, a), name)
}

// fail reports err on stderr and returns the exit code it calls for.
func (m *Main) fail(err error, name string) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(m.Stderr, "commons: %s\n", safeMessage(ue.Error()))
		if cmd := lookup(name); cmd != nil {
			fmt.Fprintf(m.Stderr, "%s(see `commons %s --help`)\n", usageLine(name, cmd), name)
		} else {
			fmt.Fprintln(m.Stderr, "(see `commons help`)")
		}
		return 2
	}
	fmt.Fprintf(m.Stderr, "commons: %s\n", oneLine(err))
	return 1
}

// oneLine keeps an error message on one line of the terminal, and keeps
// what it quotes from acting on the terminal (safeMessage).
func oneLine(err error) string {
	msg := err.Error()
	if protocol.KindOf(err) == protocol.Other && errors.Is(err, context.Canceled) {
		msg = "interrupted"
	}
	if protocol.KindOf(err) == protocol.NoSpace && !strings.Contains(msg, "disk full") {
		msg = "disk full: " + msg
	}
	return safeMessage(msg)
}

// splitCommand finds the words that name the command ("dataset add",
// "swarm key new"), skipping global flags wherever they are, and returns the
// rest of the line. Words are taken while they name a group. A command's own
// flags must follow its name.
func splitCommand(args []string) (name string, rest []string, err error) {
	var words []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		done := len(words) > 0 && !isGroup(strings.Join(words, " "))
		switch {
		case done || arg == "--":
			rest = append(rest, args[i:]...)
			i = len(args)
		case strings.HasPrefix(arg, "-") && arg != "-":
			flagName, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
			j := slices.IndexFunc(globalFlags, func(f Flag) bool { return f.Name == flagName })
			if j < 0 {
				if len(words) == 0 {
					return "", nil, usagef("unknown flag %s before the command", arg)
				}
				return "", nil, usagef("flag %s before the subcommand of %q", arg, strings.Join(words, " "))
			}
			rest = append(rest, arg)
			if globalFlags[j].takesValue() && !hasValue && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
		default:
			words = append(words, arg)
		}
	}
	name = strings.Join(words, " ")
	if name != "" && lookup(name) == nil && !isGroup(name) {
		if group := strings.Join(words[:len(words)-1], " "); group != "" {
			return "", nil, usagef("unknown command %q (see `commons help %s`)", name, group)
		}
		return "", nil, usagef("unknown command %q", name)
	}
	return name, rest, nil
}

func lookup(name string) Command {
	for _, c := range commands {
		if c.name == name {
			return c.cmd
		}
	}
	return nil
}

// isGroup reports whether words ("key", "swarm key") begin the name of a
// longer command.
func isGroup(words string) bool {
	for _, c := range commands {
		if strings.HasPrefix(c.name, words+" ") {
			return true
		}
	}
	return false
}

func hasHelp(args []string) bool {
	return slices.Contains(args, "--help") || slices.Contains(args, "-h") || slices.Contains(args, "-help")
}
