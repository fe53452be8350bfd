package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/hashtree"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/license"
)

// DatasetAddCommand hashes a tree of files here and publishes its record.
type DatasetAddCommand struct{}

func (DatasetAddCommand) Synopsis() string { return "hash files and publish a signed dataset record" }
func (DatasetAddCommand) Usage() string {
	return `usage: commons dataset add PATH --name NAME --license SPDX [--description TEXT] [--version V] [--parent ID[=WEIGHT]]... [--allow-unknown-parent] [--follow-links] [--include-hidden] [--manifest] [--as KEY]

Hashes the files under PATH (a directory, or a single file) on this machine,
in parallel, and asks the daemon to sign and store a dataset record listing
them: each file's path below PATH, sha256 and size. --parent names datasets
this one derives from: each must be held by the node or found on the
network (the daemon looks for up to ` + shortDuration(api.DefaultQueryTimeout) + `), unless --allow-unknown-parent
is given, so that a mistyped ID is not published as a parent.
--parent ID=WEIGHT gives the parent its weight in (0,1] in the credit for
this dataset (commons credit); each parent weighs 1 unless given.

What is published is the tree as a reader sees it, and nothing outside it:
  - a symbolic link inside the tree to a file or directory inside the tree
    counts as what it points to, under the link's own path; a link that
    leads back into a directory containing it is a loop, and refused;
  - a symbolic link that points outside the tree is refused, naming the
    link and its target, unless --follow-links is given;
  - dotfiles and dot-directories (.env, .DS_Store, .cache/) and
    version-control directories (.git/, .hg/, .svn/, .bzr/, _darcs/, CVS/)
    are skipped unless --include-hidden is given; the summary counts them
    and names the first few;
  - a dangling link and any special file (pipe, socket, device) are
    refused, as is a file that does not read as many bytes as its size
    says (the kernel files of /proc and /sys) or that changes while it is
    hashed.
PATH itself may be a symbolic link: it is resolved first, and the tree is
what it resolves to. Ctrl-C stops the hashing; nothing is published.

A tree of more than ` + strconv.Itoa(protocol.ManifestThreshold) + ` files (or any, with --manifest) is published
with a manifest (SPEC.md §3.8): its file list is sent to the daemon in
content-addressed chunks as the files are hashed, and the signed record
names the list's root, so that a tree of millions of files takes bounded
memory here and in the daemon, and a new version shares every unchanged
chunk with the old. On a terminal, progress is shown on standard error.
With --parent, what changed from the first parent is shown too.
`
}

func (DatasetAddCommand) Flags() []Flag {
	return []Flag{
		{Name: "name", Value: "NAME", Required: true, Help: "the dataset's name"},
		{Name: "license", Value: "SPDX", Required: true, Help: "an SPDX license expression, e.g. CC-BY-4.0 or (MIT OR Apache-2.0); LicenseRef-NAME for a licence not on the SPDX list"},
		{Name: "description", Value: "TEXT", Help: "what the dataset is"},
		{Name: "version", Value: "V", Help: "the dataset's version"},
		{Name: "parent", Value: "ID[=WEIGHT]", Repeat: true, Help: "a dataset this one derives from, with its weight in (0,1] for credit (default 1)"},
		{Name: "allow-unknown-parent", Help: "publish even when a --parent is neither held here nor found on the network"},
		{Name: "follow-links", Help: "follow symbolic links that point outside PATH (default: refuse them)"},
		{Name: "include-hidden", Help: "publish dotfiles and version-control directories too (default: skip them)"},
		{Name: "manifest", Help: "name a manifest of the files even for a small tree (default: only past " + strconv.Itoa(protocol.ManifestThreshold) + " files)"},
		{Name: "as", Value: "KEY", Help: "sign with this key of the keystore (default: the node key)"},
	}
}

// datasetAdded is what dataset add prints: the record published, what
// the walk of the tree left out, and, with --parent, what changed from the
// first parent.
type datasetAdded struct {
	api.Published
	Skipped  hashtree.Skipped `json:"skipped"`
	Manifest *uploadStats     `json:"manifest,omitempty"` // a dataset that names a manifest: the chunks sent
	Diff     *api.DatasetDiff `json:"diff,omitempty"`
}

// shownChanges is how many changes from the parent the text output lists.
const shownChanges = 10

func (DatasetAddCommand) Run(ctx context.Context, env *Env, args *Args) error {
	pos, err := args.positionals("PATH")
	if err != nil {
		return err
	}
	parents, parentWeights, err := parseWeightedIDs("--parent", args.All("parent"))
	if err != nil {
		return err
	}
	if err := protocol.CheckDatasetText(args.Get("name"), args.Get("description"), args.Get("license"), args.Get("version")); err != nil {
		return badValue(err)
	}
	if err := checkLicense(args.Get("license")); err != nil {
		return err
	}
	c, err := env.Client()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !args.Bool("allow-unknown-parent") {
		if err := knownObjects(ctx, c, "dataset add", "--parent", "--allow-unknown-parent", parents); err != nil {
			return err
		}
	}
	prog := newProgress(env)
	defer prog.done()
	up := newTreeUpload(ctx, c, args.Bool("manifest"))
	sum, err := hashtree.Stream(ctx, pos[0], hashtree.TreeOptions{
		FollowLinks:   args.Bool("follow-links"),
		IncludeHidden: args.Bool("include-hidden"),
	}, func(p hashtree.Progress) {
		if !p.Listed { // the totals grow while the tree is walked
			p.TotalFiles, p.TotalBytes = 0, 0
		}
		prog.hashing(p.Files, p.TotalFiles, p.Bytes, p.TotalBytes)
	}, up.add)
	if err != nil {
		return err
	}
	if up.count == 0 {
		if n := sum.Skipped.Total(); n > 0 {
			return protocol.E("dataset add", protocol.Invalid, "%q holds no files but %d hidden or version-control entries, which --include-hidden publishes", pos[0], n)
		}
		return protocol.E("dataset add", protocol.Invalid, "%q holds no files", pos[0])
	}
	if sum.Skipped.Paths == nil {
		sum.Skipped.Paths = []string{}
	}
	if up.sending {
		prog.say("sending the manifest of %d files", up.count)
	}
	files, m, err := up.finish()
	if err != nil {
		return err
	}
	prog.say("publishing the record")
	p, err := c.AddDataset(ctx, api.AddDatasetRequest{
		Name:          args.Get("name"),
		Description:   args.Get("description"),
		License:       args.Get("license"),
		Version:       args.Get("version"),
		Parents:       parents,
		ParentWeights: parentWeights,
		Files:         files,
		Manifest:      m,
		As:            args.Get("as"),

		AllowUnknownParents: args.Bool("allow-unknown-parent"),
	})
	if err != nil {
		return err
	}
	out := datasetAdded{Published: p, Skipped: sum.Skipped}
	if m != nil {
		out.Manifest = &up.stats
	}
	if len(parents) > 0 {
		prog.say("comparing with the parent")
		out.Diff = diffFromParent(ctx, env, c, p.ID, parents[0])
	}
	prog.done()
	return env.Print(out, func(t *tabwriter.Writer) {
		printPublished(t, p)
		printSkipped(t, sum.Skipped)
		if s := out.Manifest; s != nil {
			fmt.Fprintf(t, "manifest:\t%s, %d chunks (%s), %d of them new here (%s)\n", m.Root, s.Chunks, shortBytes(s.Bytes), s.NewChunks, shortBytes(s.NewBytes))
		}
		if out.Diff != nil {
			printDiff(t, out.Diff)
		}
	})
}

// diffFromParent says what changed from the parent to the dataset just
// published: the daemon reads the chunks of the parent's manifest it lacks
// from the network, and only where the two trees differ. The record is
// published by then:
// a parent it cannot compare with (one not held, given with
// --allow-unknown-parent) is said on standard error, not an error.
func diffFromParent(ctx context.Context, env *Env, c *api.Client, id, parent protocol.ID) *api.DatasetDiff {
	d, err := c.DatasetDiff(ctx, id, parent, shownChanges, api.QueryOptions{})
	if err != nil {
		fmt.Fprintf(env.Stderr, "commons: published, but not compared with --parent %s: %s\n", parent, safeMessage(err.Error()))
		return nil
	}
	return &d
}

// printDiff is the text form of what changed from the parent: the counts,
// then the first changes, paths quoted.
func printDiff(t *tabwriter.Writer, d *api.DatasetDiff) {
	fmt.Fprintf(t, "from parent:\t%s: %d added, %d removed, %d changed\n", d.From, d.Added, d.Removed, d.Changed)
	for _, c := range d.Changes {
		f := c.New
		if f == nil {
			f = c.Old
		}
		fmt.Fprintf(t, "  %s\t%s\n", c.Change, quote(f.Name))
	}
	if d.More {
		fmt.Fprintf(t, "  …\t%d more\n", d.Added+d.Removed+d.Changed-int64(len(d.Changes)))
	}
}

// knownObjects refuses an ID of ids (the values of flag) that the daemon
// neither holds nor finds on the network, before anything is hashed; the
// search stores what it finds, so the daemon then holds them all.
func knownObjects(ctx context.Context, c *api.Client, op, flag, allow string, ids []protocol.ID) error {
	for _, id := range ids {
		_, err := c.GetObject(ctx, id, api.QueryOptions{})
		switch {
		case protocol.IsKind(err, protocol.NotFound):
			return protocol.E(op, protocol.NotFound, "%s %s is neither held by this node nor found on the network; "+
				"publish it first, or give %s to name it anyway", flag, id, allow)
		case err != nil:
			return fmt.Errorf("%s: %s: %w", op, flag, err)
		}
	}
	return nil
}

// printSkipped is the text form of what the walk left out: counts by
// reason, then the first paths, quoted.
func printSkipped(t *tabwriter.Writer, s hashtree.Skipped) {
	if s.Total() == 0 {
		fmt.Fprintf(t, "skipped:\tnothing\n")
		return
	}
	var why []string
	if s.Hidden > 0 {
		why = append(why, fmt.Sprintf("%d hidden", s.Hidden))
	}
	if s.VCS > 0 {
		why = append(why, fmt.Sprintf("%d version control", s.VCS))
	}
	quoted := make([]string, len(s.Paths))
	for i, p := range s.Paths {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	more := ""
	if n := s.Total() - len(s.Paths); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	fmt.Fprintf(t, "skipped:\t%s (--include-hidden publishes them): %s%s\n", strings.Join(why, ", "), strings.Join(quoted, " "), more)
}

// checkLicense refuses, before any file is read, a --license that is not
// an SPDX licence expression (SPEC.md §4.8): a record may carry any
// licence text, but a typo made now would stand for good.
func checkLicense(l string) error {
	if _, err := license.Parse(l); err != nil {
		return badValue(protocol.E("dataset add", protocol.Invalid,
			"--license %q is not an SPDX license expression (%v); for a licence not on the SPDX list, write it as %s",
			l, err, license.Suggest(l)))
	}
	return nil
}
