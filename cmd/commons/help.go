package main

import (
	"context"
	"fmt"
	"strings"
)

// HelpCommand shows the list of commands or one command's usage.
type HelpCommand struct{}

func (HelpCommand) Synopsis() string { return "show the commands, or how to use one" }
func (HelpCommand) Flags() []Flag    { return nil }
func (HelpCommand) Usage() string {
	return `usage: commons help [COMMAND]

Shows every command, or the usage of COMMAND ("commons help dataset add").
`
}

func (HelpCommand) Run(_ context.Context, env *Env, args *Args) error {
	name := strings.Join(args.Pos, " ")
	if name == "" || isGroup(name) {
		fmt.Fprint(env.Stdout, mainUsage(name))
		return nil
	}
	cmd := lookup(name)
	if cmd == nil {
		return usagef("unknown command %q", name)
	}
	fmt.Fprint(env.Stdout, commandUsage(name, cmd))
	return nil
}

// mainUsage lists the commands, or those of one group ("key").
func mainUsage(group string) string {
	var b strings.Builder
	if group == "" {
		b.WriteString("commons is a node of a peer-to-peer provenance and attribution network.\n\n")
		b.WriteString("usage: commons COMMAND [ARGUMENTS] [--repo DIR] [--json]\n\ncommands:\n")
	} else {
		fmt.Fprintf(&b, "usage: commons %s COMMAND [ARGUMENTS] [--repo DIR] [--json]\n\ncommands:\n", group)
	}
	t := newTable(&b)
	for _, c := range commands {
		if group == "" || strings.HasPrefix(c.name, group+" ") {
			t.row("  "+c.name, c.cmd.Synopsis())
		}
	}
	t.flush()
	b.WriteString("\nglobal flags, accepted anywhere on the line:\n")
	writeFlags(&b, globalFlags[:3])
	b.WriteString("\nRun `commons help COMMAND` or `commons COMMAND --help` for a command's usage.\n")
	return b.String()
}

// commandUsage is the full usage of one command.
func commandUsage(name string, cmd Command) string {
	var b strings.Builder
	b.WriteString(cmd.Usage())
	if fs := cmd.Flags(); len(fs) > 0 {
		b.WriteString("\nflags:\n")
		writeFlags(&b, fs)
	}
	b.WriteString("\nglobal flags:\n")
	writeFlags(&b, globalFlags[:3])
	return b.String()
}

// usageLine is the first line of a command's usage.
func usageLine(name string, cmd Command) string {
	line, _, _ := strings.Cut(cmd.Usage(), "\n")
	return line + "\n"
}

func writeFlags(b *strings.Builder, fs []Flag) {
	t := newTable(b)
	for _, f := range fs {
		spelled := "--" + f.Name
		if f.takesValue() {
			spelled += " " + f.Value
		}
		help := f.Help
		if f.Repeat {
			help += " (repeatable)"
		}
		if f.Required {
			help += " (required)"
		}
		t.row("  "+spelled, help)
	}
	t.flush()
}
