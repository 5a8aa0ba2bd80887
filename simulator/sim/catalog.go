package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/snapshotlake/snapshotlake/simulator/asl"
	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/eventsfake"
	"github.com/snapshotlake/snapshotlake/simulator/gluefake"
	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
	"github.com/snapshotlake/snapshotlake/stacks"
)

// CatalogRun is one execution of the destination's catalog state machine,
// started by an event the source put on the destination bus.
type CatalogRun struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
	Output any    `json:"output,omitempty"`
}

// destinationSide is what the run needs of the destination stack: its bus,
// the accounts the bus policy admits, and the rules on the bus that start a
// state machine.
type destinationSide struct {
	w        world
	account  string
	busArn   string
	admitted func(account string) bool
	rules    []busRule
	database string
}

type busRule struct {
	pattern map[string]any
	target  string // logical id of the state machine
}

// destination reads the destination stack of app, or nil when the app has
// none (or it has no bus).
func destination(app *App) (*destinationSide, error) {
	tpl, ok := app.Templates[stacks.DestinationStackName]
	if !ok || app.Config.Destination == nil {
		return nil, nil
	}
	d := &destinationSide{w: world{Stack: stacks.DestinationStackName, Resources: map[string]map[string]any{}}, account: app.Config.Destination.Account}
	if d.account == "" {
		d.account = Account
	}
	region := app.Config.Destination.Region
	if region == "" {
		region = Region
	}
	for id, r := range tpl["Resources"].(map[string]any) {
		d.w.Resources[id] = r.(map[string]any)
	}
	var busID string
	var accounts []string
	org := false
	for _, id := range sortedIDs(d.w.Resources) {
		r := d.w.Resources[id]
		props, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::Events::EventBus":
			busID = id
			d.busArn = fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", region, d.account, props["Name"])
		case "AWS::Events::EventBusPolicy":
			st, _ := props["Statement"].(map[string]any)
			if st["Effect"] != "Allow" || st["Action"] != "events:PutEvents" {
				continue
			}
			principal, _ := st["Principal"].(map[string]any)
			switch p := principal["AWS"].(type) {
			case string:
				if p == "*" {
					org = true // with aws:PrincipalOrgID: the organization
				} else {
					accounts = append(accounts, accountOf(p))
				}
			case []any:
				for _, e := range p {
					resolved, err := d.w.Resolve(e)
					if err != nil {
						return nil, err
					}
					accounts = append(accounts, accountOf(fmt.Sprint(resolved)))
				}
			}
		case "AWS::Glue::Database":
			in, _ := props["DatabaseInput"].(map[string]any)
			d.database, _ = in["Name"].(string)
		}
	}
	if busID == "" {
		return nil, nil
	}
	// The local run has no Organization: an organization statement admits
	// the simulated source account, as it would be a member.
	d.admitted = func(a string) bool { return org || slices.Contains(accounts, a) }
	for _, id := range sortedIDs(d.w.Resources) {
		r := d.w.Resources[id]
		props, _ := r["Properties"].(map[string]any)
		if r["Type"] != "AWS::Events::Rule" || !reflect.DeepEqual(props["EventBusName"], map[string]any{"Ref": busID}) {
			continue
		}
		pattern, err := d.w.Resolve(props["EventPattern"])
		if err != nil {
			return nil, err
		}
		targets, _ := props["Targets"].([]any)
		for _, t := range targets {
			arn, _ := t.(map[string]any)["Arn"].(map[string]any)
			if ref, ok := arn["Ref"].(string); ok && d.w.TypeOf(ref) == "AWS::StepFunctions::StateMachine" {
				d.rules = append(d.rules, busRule{pattern: pattern.(map[string]any), target: ref})
			}
		}
	}
	return d, nil
}

func accountOf(principalArn string) string {
	// arn:aws:iam::<account>:root
	if parts := strings.Split(principalArn, ":"); len(parts) >= 5 {
		return parts[4]
	}
	return principalArn
}

func sortedIDs(m map[string]map[string]any) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// deliverToDestination delivers every event the source account put on the
// destination's bus, as EventBridge does across accounts: the bus policy
// must admit the sender's account (else the event is refused, as
// PutEvents refuses an entry to a bus that does not admit the caller:
// AccessDeniedException), each rule whose pattern matches starts its state
// machine with the event. The destination account runs its own executor,
// with the same S3 (the bucket) and the run's Glue fake.
func (r *Run) deliverToDestination(ctx context.Context, app *App, ev jsonata.Engine, sender string, events []eventsfake.Event) error {
	d, err := destination(app)
	if err != nil || d == nil {
		return err
	}
	var mine []eventsfake.Event
	for _, e := range events {
		if e.Bus == d.busArn {
			mine = append(mine, e)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	if !d.admitted(sender) {
		r.Result.CatalogRefused = len(mine)
		return nil
	}
	if r.Glue == nil {
		r.Glue = gluefake.New()
	}
	if d.database != "" {
		r.Glue.AddDatabase(d.database)
	}
	integ := asl.IntegrationFunc(func(ctx context.Context, service, action string, args map[string]any) (any, error) {
		switch service {
		case "s3":
			return r.S3.Call(ctx, action, args)
		case "glue":
			return r.Glue.Call(ctx, action, args)
		}
		return nil, awserr.New("States.Runtime", "no local fake answers aws-sdk:%s:%s", service, action)
	})
	exec := asl.New(integ, asl.FromJSONata(ev))
	registered := map[string]string{}
	var runs []*asl.Execution
	for i, e := range mine {
		event := map[string]any{
			"version": "0", "id": fmt.Sprintf("%08x-0000-4000-8000-%012x", i+1, len(r.Result.Catalog)+i+1),
			"detail-type": e.DetailType, "source": e.Source, "account": sender,
			"time": "2026-11-24T03:40:00Z", "region": Region, "resources": []any{}, "detail": e.Detail,
		}
		for _, rule := range d.rules {
			if !matches(rule.pattern, event) {
				continue
			}
			arn, ok := registered[rule.target]
			if !ok {
				if arn, err = d.register(exec, rule.target); err != nil {
					return err
				}
				registered[rule.target] = arn
			}
			x, err := exec.Start(ctx, arn, fmt.Sprintf("event-%d-%d", len(r.Result.Catalog)+1, i+1), event)
			if err != nil {
				return err
			}
			exec.Wait() // one event at a time, in delivery order
			runs = append(runs, x)
		}
	}
	for _, x := range runs {
		r.Result.Catalog = append(r.Result.Catalog, CatalogRun{Name: x.Name, Status: string(x.Status), Error: x.Error, Cause: x.Cause, Output: x.Output})
	}
	return nil
}

func (d *destinationSide) register(exec *asl.Executor, id string) (string, error) {
	props := d.w.Resources[id]["Properties"].(map[string]any)
	def, err := d.w.Resolve(props["DefinitionString"])
	if err != nil {
		return "", fmt.Errorf("%s: %w", id, err)
	}
	var parsed map[string]any
	if err := json.Unmarshal([]byte(def.(string)), &parsed); err != nil {
		return "", fmt.Errorf("%s: definition: %w", id, err)
	}
	arn := d.w.StateMachineArn(id)
	return arn, exec.Register(arn, parsed, asl.TypeStandard)
}

// matches is EventBridge's pattern matching for the patterns the stacks
// write: every field of the pattern is in the event; a list matches when
// the event's value (or one of its values) equals one of its literals; an
// object matches the event's object recursively.
func matches(pattern, event map[string]any) bool {
	for k, want := range pattern {
		got, ok := event[k]
		if !ok {
			return false
		}
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !matches(w, sub) {
				return false
			}
		case []any:
			if !anyEqual(w, got) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func anyEqual(literals []any, got any) bool {
	values := []any{got}
	if list, ok := got.([]any); ok {
		values = list
	}
	for _, l := range literals {
		for _, v := range values {
			if fmt.Sprint(l) == fmt.Sprint(v) && reflect.TypeOf(normNum(l)) == reflect.TypeOf(normNum(v)) {
				return true
			}
		}
	}
	return false
}

func normNum(v any) any {
	switch n := v.(type) {
	case int:
		return float64(n)
	case float64:
		return n
	}
	return v
}
