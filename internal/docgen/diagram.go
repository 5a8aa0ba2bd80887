package docgen

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/snapshotlake/snapshotlake/internal/cdktest"
)

// SourceStack is the stack the architecture diagram is drawn from.
const SourceStack = "SnapshotLakeSource"

// Machines are the logical ids of the state machines the diagram draws,
// taken from the stack's typed handles (sim.Wiring).
type Machines struct {
	Export, Copy, Table, Multipart string
}

// machineSpec is a drawn state machine: its key, logical id and title.
type machineSpec struct {
	key, id, title string
}

// drawn are the state machines of the diagram, in drawing order; a
// template without a table copy machine (Table "") draws the other three.
func (m Machines) drawn() []machineSpec {
	specs := []machineSpec{{"export", m.Export, "Export state machine"}, {"copy", m.Copy, "Copy state machine"}}
	if m.Table != "" {
		specs = append(specs, machineSpec{"table", m.Table, "Table copy state machine"})
	}
	return append(specs, machineSpec{"multipart", m.Multipart, "Multipart state machine"})
}

// Ids of the nodes that are not states.
const (
	idSource    = "source_account"
	idAnalytics = "analytics_account"
	idRDS       = "rds"
	idRule      = "snapshot_rule"
	idStaging   = "staging_bucket"
	idDest      = "destination_bucket"
)

// Diagram draws the Mermaid flowchart of the source stack's template tpl
// (as synthesized, CloudFormation intrinsics included): the accounts, the
// EventBridge rule, RDS's export into the staging bucket, every state of
// the export, copy, table copy and multipart state machines with their transitions
// (Next, Default, Choices, Catch), each Map as a subgraph of its child
// states, the executions one state machine starts of another, and the
// copies into the destination bucket. It returns the flowchart without a
// Markdown fence.
func Diagram(tpl map[string]any, machines Machines) (string, error) {
	resources, _ := tpl["Resources"].(map[string]any)
	if len(resources) == 0 {
		return "", fmt.Errorf("docgen: the template has no Resources")
	}
	d := &diagram{
		resources: resources,
		ids:       map[string]bool{},
		edgeSeen:  map[string]bool{},
		classes:   map[string][]string{},
		starts:    map[string]string{},
	}
	if err := d.findMachines(machines); err != nil {
		return "", err
	}
	if err := d.draw(); err != nil {
		return "", err
	}
	return d.b.String(), nil
}

type machine struct {
	spec      machineSpec
	logicalID string
	typ       string
	def       map[string]any
}

type diagram struct {
	resources map[string]any
	machines  []machine
	staging   string // logical id of the bucket RDS exports into
	b         strings.Builder
	ids       map[string]bool
	edges     []string
	edgeSeen  map[string]bool
	classes   map[string][]string
	starts    map[string]string // state machine logical id → id of its first state
	pending   []pendingEdge     // edges to state machines drawn later
}

type pendingEdge struct {
	from, machineID, label string
}

func (d *diagram) resource(id string) map[string]any {
	r, _ := d.resources[id].(map[string]any)
	return r
}

func (d *diagram) findMachines(machines Machines) error {
	for _, spec := range machines.drawn() {
		r := d.resource(spec.id)
		if r["Type"] != "AWS::StepFunctions::StateMachine" {
			return fmt.Errorf("docgen: the template has no state machine %q (%s)", spec.id, spec.title)
		}
		props, _ := r["Properties"].(map[string]any)
		s, ok := cdktest.Resolve(props["DefinitionString"]).(string)
		if !ok {
			return fmt.Errorf("docgen: state machine %s has no DefinitionString", spec.id)
		}
		var def map[string]any
		if err := json.Unmarshal([]byte(s), &def); err != nil {
			return fmt.Errorf("docgen: definition of %s: %w", spec.id, err)
		}
		typ, _ := props["StateMachineType"].(string)
		if typ == "" {
			typ = "STANDARD"
		}
		d.machines = append(d.machines, machine{spec: spec, logicalID: spec.id, typ: typ, def: def})
	}
	return nil
}

// newID returns a fresh node id for s.
func (d *diagram) newID(s string) string {
	base := MermaidID(s)
	id := base
	for n := 2; d.ids[id]; n++ {
		id = fmt.Sprintf("%s_%d", base, n)
	}
	d.ids[id] = true
	return id
}

func (d *diagram) line(indent int, format string, args ...any) {
	d.b.WriteString(strings.Repeat("  ", indent))
	fmt.Fprintf(&d.b, format, args...)
	d.b.WriteByte('\n')
}

// Edge kinds.
const (
	edgeNext  = "-->"
	edgeCatch = "-.->"
	edgeStart = "==>"
)

func (d *diagram) edge(from, kind, label, to string) {
	e := from + " " + kind
	if label != "" {
		e += "|" + quote(label) + "|"
	}
	e += " " + to
	if !d.edgeSeen[e] {
		d.edgeSeen[e] = true
		d.edges = append(d.edges, e)
	}
}

func (d *diagram) draw() error {
	for _, id := range []string{idSource, idAnalytics, idRDS, idRule, idStaging, idDest} {
		d.ids[id] = true
	}
	export := d.machines[0]
	rule, err := d.snapshotRule(export.logicalID)
	if err != nil {
		return err
	}
	if d.staging, err = d.stagingBucket(export.def); err != nil {
		return err
	}
	d.line(0, "flowchart TB")
	d.line(1, "subgraph %s[%s]", idSource, quote("Source account · "+SourceStack+" stack"))
	d.line(2, "%s[(%s)]", idRDS, quote("Amazon RDS: DB cluster and instance snapshots"))
	d.line(2, "%s>%s]", idRule, quote("EventBridge rule: snapshot created"))
	d.line(2, "%s[(%s)]", idStaging, quote("Staging export bucket (SSE-KMS)"))
	for _, m := range d.machines {
		title := fmt.Sprintf("%s · %s", m.spec.title, capitalized(m.typ))
		id := d.newID(m.spec.key)
		d.line(2, "subgraph %s[%s]", id, quote(title))
		states, _ := m.def["States"].(map[string]any)
		startAt, _ := m.def["StartAt"].(string)
		start, err := d.drawStates(m.spec.key, states, startAt, 3)
		if err != nil {
			return fmt.Errorf("docgen: %s: %w", m.spec.title, err)
		}
		d.starts[m.logicalID] = start
		d.line(2, "end")
	}
	d.line(1, "end")
	d.line(1, "subgraph %s[%s]", idAnalytics, quote("Analytics account"))
	d.line(2, "%s[(%s)]", idDest, quote("Destination bucket (SnapshotLakeDestination stack)"))
	d.line(1, "end")

	// Account-level edges first, then the pending starts of nested
	// executions, then the transitions.
	var edges []string
	edges, d.edges = d.edges, nil
	if rule.fromRDS {
		d.edge(idRDS, edgeCatch, "snapshot created event", idRule)
	}
	d.edge(idRule, edgeStart, "StartExecution", d.starts[export.logicalID])
	for _, p := range d.pending {
		to, ok := d.starts[p.machineID]
		if !ok {
			return fmt.Errorf("docgen: %s starts state machine %s, which is not in the diagram", p.from, p.machineID)
		}
		d.edge(p.from, edgeStart, p.label, to)
	}
	d.edges = append(d.edges, edges...)
	for _, e := range d.edges {
		d.line(1, "%s", e)
	}
	d.line(1, "classDef succeed fill:#e6f4e6,stroke:#2e7d32")
	d.line(1, "classDef fail fill:#fbe4e4,stroke:#c62828")
	d.line(1, "classDef external fill:#e8eefb,stroke:#3949ab")
	d.classes["external"] = []string{idRDS, idRule, idStaging, idDest}
	for _, c := range []string{"succeed", "fail", "external"} {
		if ids := d.classes[c]; len(ids) > 0 {
			d.line(1, "class %s %s", strings.Join(ids, ","), c)
		}
	}
	return nil
}

type ruleInfo struct {
	logicalID string
	fromRDS   bool
}

// snapshotRule finds the EventBridge rule that starts the export state
// machine.
func (d *diagram) snapshotRule(exportID string) (ruleInfo, error) {
	var rules []ruleInfo
	var ids []string
	for id := range d.resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := d.resource(id)
		if r["Type"] != "AWS::Events::Rule" {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		targets, _ := props["Targets"].([]any)
		for _, t := range targets {
			arn, _ := t.(map[string]any)["Arn"].(map[string]any)
			if arn["Ref"] != exportID {
				continue
			}
			pattern, _ := props["EventPattern"].(map[string]any)
			sources, _ := pattern["source"].([]any)
			ri := ruleInfo{logicalID: id}
			for _, s := range sources {
				ri.fromRDS = ri.fromRDS || s == "aws.rds"
			}
			rules = append(rules, ri)
		}
	}
	if len(rules) != 1 {
		return ruleInfo{}, fmt.Errorf("docgen: want one EventBridge rule starting the export state machine %s, found %d", exportID, len(rules))
	}
	return rules[0], nil
}

var refRE = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`)

// stagingBucket is the template's bucket that StartExportTask writes to.
func (d *diagram) stagingBucket(exportDef map[string]any) (string, error) {
	for _, st := range cdktest.States(exportDef) {
		if action(st) != "rds:startExportTask" {
			continue
		}
		args, _ := st["Arguments"].(map[string]any)
		name, _ := args["S3BucketName"].(string)
		if id := d.bucketRef(name); id != "" {
			return id, nil
		}
		return "", fmt.Errorf("docgen: StartExportTask's S3BucketName %q is no bucket of the template", name)
	}
	return "", fmt.Errorf("docgen: the export state machine has no StartExportTask state")
}

// bucketRef returns the logical id of the template bucket s refers to.
func (d *diagram) bucketRef(s string) string {
	for _, m := range refRE.FindAllStringSubmatch(s, -1) {
		if d.resource(m[1])["Type"] == "AWS::S3::Bucket" {
			return m[1]
		}
	}
	return ""
}

// bucketNode is the node of the bucket an S3 call's Bucket argument names:
// the staging bucket, or the destination (given by name, not in the
// template).
func (d *diagram) bucketNode(bucket string) (string, error) {
	switch id := d.bucketRef(bucket); id {
	case "":
		return idDest, nil
	case d.staging:
		return idStaging, nil
	default:
		return "", fmt.Errorf("bucket %s is neither the staging nor the destination bucket", id)
	}
}

// action is a Task's service:action from its Resource, e.g.
// "s3:copyObject", "states:startExecution.sync:2".
func action(st map[string]any) string {
	res, _ := st["Resource"].(string)
	_, a, ok := strings.Cut(res, ":::")
	if !ok {
		return ""
	}
	return strings.TrimPrefix(a, "aws-sdk:")
}

// apiName is an SDK action as its API names it: copyObject → CopyObject.
func apiName(a string) string {
	_, op, _ := strings.Cut(a, ":")
	if op == "" {
		return a
	}
	return strings.ToUpper(op[:1]) + op[1:]
}

// orderStates lists states from startAt in breadth-first order of their
// transitions, then any unreachable ones by name.
func orderStates(states map[string]any, startAt string) []string {
	var order []string
	seen := map[string]bool{}
	queue := []string{startAt}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] || states[name] == nil {
			continue
		}
		seen[name] = true
		order = append(order, name)
		for _, t := range transitions(states[name].(map[string]any)) {
			queue = append(queue, t.to)
		}
	}
	var rest []string
	for name := range states {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(order, rest...)
}

type transition struct {
	to, kind, label string
}

// transitions of a state, in the order Next, Choices, Default, Catch.
func transitions(st map[string]any) []transition {
	var out []transition
	if n, ok := st["Next"].(string); ok {
		out = append(out, transition{to: n, kind: edgeNext})
	}
	choices, _ := st["Choices"].([]any)
	for _, c := range choices {
		if n, ok := c.(map[string]any)["Next"].(string); ok {
			out = append(out, transition{to: n, kind: edgeNext})
		}
	}
	if n, ok := st["Default"].(string); ok {
		out = append(out, transition{to: n, kind: edgeNext, label: "otherwise"})
	}
	catches, _ := st["Catch"].([]any)
	for _, c := range catches {
		cm, _ := c.(map[string]any)
		n, ok := cm["Next"].(string)
		if !ok {
			continue
		}
		var errs []string
		list, _ := cm["ErrorEquals"].([]any)
		for _, e := range list {
			if s, _ := e.(string); s != "States.ALL" {
				errs = append(errs, s)
			}
		}
		label := "catch"
		if len(errs) > 0 {
			label += " " + strings.Join(errs, ", ")
		}
		out = append(out, transition{to: n, kind: edgeCatch, label: label})
	}
	return out
}

// drawStates writes the nodes of one States object (Maps as subgraphs of
// their item processor's states) and records their edges; it returns the
// id of startAt.
func (d *diagram) drawStates(prefix string, states map[string]any, startAt string, indent int) (string, error) {
	if _, ok := states[startAt]; !ok {
		return "", fmt.Errorf("StartAt %q is no state", startAt)
	}
	order := orderStates(states, startAt)
	ids := map[string]string{}
	for _, name := range order {
		ids[name] = d.newID(prefix + " " + name)
	}
	for _, name := range order {
		st, ok := states[name].(map[string]any)
		if !ok {
			return "", fmt.Errorf("state %q is not an object", name)
		}
		id := ids[name]
		typ, _ := st["Type"].(string)
		switch typ {
		case "Map", "Parallel":
			if err := d.drawContainer(prefix, name, id, st, indent); err != nil {
				return "", err
			}
		case "Choice":
			d.line(indent, "%s{%s}", id, quote(name))
		case "Succeed":
			d.line(indent, "%s([%s])", id, quote(name))
			d.classes["succeed"] = append(d.classes["succeed"], id)
		case "Fail":
			d.line(indent, "%s([%s])", id, quote(name))
			d.classes["fail"] = append(d.classes["fail"], id)
		case "Pass", "Wait":
			d.line(indent, "%s(%s)", id, quote(name))
		default:
			d.line(indent, "%s[%s]", id, quote(name))
		}
		if err := d.external(id, st); err != nil {
			return "", fmt.Errorf("state %q: %w", name, err)
		}
		for _, t := range transitions(st) {
			to, ok := ids[t.to]
			if !ok {
				return "", fmt.Errorf("state %q goes to %q, which is no state", name, t.to)
			}
			d.edge(id, t.kind, t.label, to)
		}
	}
	return ids[startAt], nil
}

// drawContainer writes a Map (its item processor) or Parallel (its
// branches) as a subgraph.
func (d *diagram) drawContainer(prefix, name, id string, st map[string]any, indent int) error {
	var title string
	var bodies []map[string]any
	if p, ok := st["ItemProcessor"].(map[string]any); ok {
		cfg, _ := p["ProcessorConfig"].(map[string]any)
		if cfg["Mode"] == "DISTRIBUTED" {
			children, _ := cfg["ExecutionType"].(string)
			if children == "" {
				children = "STANDARD"
			}
			title = fmt.Sprintf("%s · Distributed Map, %s children", name, capitalized(children))
		} else {
			title = name + " · inline Map"
		}
		bodies = append(bodies, p)
	} else {
		title = name + " · Parallel"
		branches, _ := st["Branches"].([]any)
		for _, b := range branches {
			bm, _ := b.(map[string]any)
			bodies = append(bodies, bm)
		}
	}
	d.line(indent, "subgraph %s[%s]", id, quote(title))
	for _, body := range bodies {
		states, _ := body["States"].(map[string]any)
		startAt, _ := body["StartAt"].(string)
		if _, err := d.drawStates(prefix, states, startAt, indent+1); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	d.line(indent, "end")
	return nil
}

// external records the edges of a state to what is outside its state
// machine: the buckets it reads or writes, RDS, and the state machines it
// starts.
func (d *diagram) external(id string, st map[string]any) error {
	if r, ok := st["ItemReader"].(map[string]any); ok {
		a := action(r)
		args, _ := r["Arguments"].(map[string]any)
		bucket, _ := args["Bucket"].(string)
		node, err := d.bucketNode(bucket)
		if err != nil {
			return err
		}
		d.edge(node, edgeCatch, apiName(a), id)
	}
	a := action(st)
	args, _ := st["Arguments"].(map[string]any)
	switch {
	case a == "rds:startExportTask":
		d.edge(id, edgeNext, apiName(a), idRDS)
		d.edge(idRDS, edgeNext, "export (Parquet)", idStaging)
	case a == "s3:copyObject" || a == "s3:uploadPartCopy":
		bucket, _ := args["Bucket"].(string)
		node, err := d.bucketNode(bucket)
		if err != nil {
			return err
		}
		d.edge(id, edgeNext, apiName(a), node)
	case strings.HasPrefix(a, "states:startExecution"):
		arn, _ := args["StateMachineArn"].(string)
		m := refRE.FindStringSubmatch(arn)
		if m == nil {
			return fmt.Errorf("starts %q, no state machine of the template", arn)
		}
		d.pending = append(d.pending, pendingEdge{from: id, machineID: m[1], label: "StartExecution" + strings.TrimPrefix(a, "states:startExecution")})
	}
	return nil
}

// quote makes s a quoted Mermaid label.
func quote(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;")
	return `"` + r.Replace(s) + `"`
}

// mermaidKeywords cannot be node ids.
var mermaidKeywords = map[string]bool{
	"end": true, "graph": true, "flowchart": true, "subgraph": true, "direction": true,
	"style": true, "linkstyle": true, "classdef": true, "class": true, "click": true,
	"call": true, "href": true, "default": true,
}

// MermaidID turns s into a Mermaid flowchart node id: ASCII letters and
// digits, each run of other characters one underscore (none at either
// end), "n" before a leading digit or for an empty id, and "_" after a
// Mermaid keyword ("end", "class", …).
func MermaidID(s string) string {
	var b strings.Builder
	pending := false
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(r)
			continue
		}
		pending = true
	}
	id := b.String()
	switch {
	case id == "":
		return "n"
	case id[0] >= '0' && id[0] <= '9':
		id = "n" + id
	}
	if mermaidKeywords[strings.ToLower(id)] {
		id += "_"
	}
	return id
}

// capitalized turns "STANDARD" into "Standard".
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}
