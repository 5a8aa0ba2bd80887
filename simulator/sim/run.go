package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/asl"
	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/eventsfake"
	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
	"github.com/snapshotlake/snapshotlake/simulator/gluefake"
	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
	"github.com/snapshotlake/snapshotlake/simulator/rdsfake"
	"github.com/snapshotlake/snapshotlake/simulator/s3fake"
	"github.com/snapshotlake/snapshotlake/simulator/timing"
	"github.com/snapshotlake/snapshotlake/stacks"
)

// Defaults of a scenario.
const (
	DefaultSnapshotTime    = "2026-11-24T03:04:58.145Z"
	defaultPollsBeforeDone = 3
	defaultBusyPolls       = 2
)

// Run is a finished simulation: its result, and the fakes, to read the
// destination back.
type Run struct {
	Result Result
	S3     *s3fake.Fake
	RDS    *rdsfake.Fake
	// Events is the source account's EventBridge.
	Events *eventsfake.Fake
	// Glue is the destination account's Data Catalog, when the app has a
	// destination stack with a catalog.
	Glue *gluefake.Fake
	// Records are every execution the executor ran, in start order.
	Records []asl.ExecutionRecord
	// DestinationBucket and ExportBucket are the local bucket names.
	DestinationBucket, ExportBucket string
}

// Options tune a run.
type Options struct {
	// Trace keeps the states each execution entered (for the report).
	Trace bool
	// Evaluator is a running JSONata bridge to reuse; Default: a pool of
	// one Node process per CPU (at most NodeProcesses), started and closed by
	// Execute.
	Evaluator jsonata.Engine
	// Continue runs the scenario on the S3, RDS and Glue state an earlier
	// run left (a later snapshot of the same databases). Default: new fakes.
	Continue *Run
	// Progress, when set, is called about once per ProgressInterval of wall
	// time (default 1 s) while the run goes on.
	Progress         func(Progress)
	ProgressInterval time.Duration
}

// machine is a resolved, registered state machine; role is "export",
// "copy", "table", "multipart" or, for any other, its logical id.
type machine struct {
	arn, typ, role string
}

// NodeProcesses bounds the JSONata pool StartEngine starts.
const NodeProcesses = 4

// StartEngine starts the JSONata engine a long run uses: one Node process
// per CPU, at most NodeProcesses. Measured on the 2-core development VM
// (100,000 objects): one process was busy about 80% of the run while the
// executor waited for it.
func StartEngine() (jsonata.Engine, error) {
	return jsonata.StartPool(max(1, min(runtime.NumCPU(), NodeProcesses)))
}

// Execute runs sc against app (synthesized with sc.Context).
func Execute(ctx context.Context, app *App, sc Scenario, opts Options) (*Run, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	stackName, w, wiring, err := pipelineOf(app, sc)
	if err != nil {
		return nil, err
	}
	machines, defs, err := stateMachines(w, wiring)
	if err != nil {
		return nil, err
	}
	r := &Run{S3: s3fake.NewFake()}
	if prev := opts.Continue; prev != nil {
		r.S3, r.Glue = prev.S3, prev.Glue
	}
	exportKey, err := r.createBuckets(w, wiring)
	if err != nil {
		return nil, err
	}
	model := timing.Default()
	if sc.Timing != nil {
		model = sc.Timing.WithDefaults()
	}
	r.S3.SetTiming(model)
	r.RDS = rdsfake.New(r.S3)
	if opts.Continue != nil {
		r.RDS = opts.Continue.RDS
	}
	event, err := prepareRDS(r.RDS, w, app.Config, sc)
	if err != nil {
		return nil, err
	}
	busy, err := startBusyExports(ctx, r.RDS, r.ExportBucket, exportKey, sc.Export)
	if err != nil {
		return nil, err
	}
	r.Events = eventsfake.New(Account, Region)
	faults := r.addFaults(sc.Faults)

	ev := opts.Evaluator
	if ev == nil {
		if ev, err = StartEngine(); err != nil {
			return nil, err
		}
		defer func() { _ = ev.Close() }()
	}
	calls := &callCounter{n: map[string]int{}}
	start, _ := time.Parse(time.RFC3339Nano, snapshotTime(sc))
	execOpts := []asl.Option{asl.WithClock(func() time.Time { return start.Add(6 * time.Minute) }), asl.WithExpressMaxDuration(model.ExpressMaxDuration()), asl.WithTimeQuantum(model.Quantum())}
	if opts.Trace {
		execOpts = append(execOpts, asl.WithTrace(asl.TraceTop))
	}
	timed := &timedIntegration{IntegrationFunc: r.integration(calls, faults, busy), s3: r.S3, calls: calls, complete: map[string]time.Time{}}
	exec := asl.New(timed, asl.FromJSONata(ev), execOpts...)
	if opts.Progress != nil {
		stop := make(chan struct{})
		defer close(stop)
		interval := opts.ProgressInterval
		if interval <= 0 {
			interval = time.Second
		}
		go r.watch(exec, start.Add(6*time.Minute), interval, opts.Progress, stop)
	}
	for id, m := range machines {
		if err := exec.Register(m.arn, defs[id], m.typ); err != nil {
			return nil, fmt.Errorf("state machine %s: %w", id, err)
		}
	}

	deliveries := sc.Deliveries
	if deliveries == 0 {
		deliveries = 1
	}
	var runs []*asl.Execution
	for i := 1; i <= deliveries; i++ {
		x, err := exec.Start(ctx, machines[wiring.ExportMachine].arn, fmt.Sprintf("delivery-%d", i), event)
		if err != nil {
			return nil, fmt.Errorf("delivery %d: %w", i, err)
		}
		runs = append(runs, x)
	}
	exec.Wait()
	r.Records = exec.Executions()
	r.Result = r.result(runs, exec.Summary(), machines, calls.snapshot(), calls.exportTaskIDs())
	r.Result.Figures.CopyConcurrency = wiring.CopyConcurrency
	r.Result.Figures.CopiesPerChild = wiring.CopiesPerChild
	r.Result.Figures.ListRequests = r.Result.Calls["s3:listObjectsV2"]
	r.Result.Events = []Event{}
	for _, e := range r.Events.Events() {
		r.Result.Events = append(r.Result.Events, Event{Bus: e.Bus, Source: e.Source, DetailType: e.DetailType, Detail: e.Detail})
	}
	r.Result.Copies = r.copyFigures(timed, model, calls.exportTaskIDs())
	r.Result.Timing = model
	sender := Account
	for _, src := range app.Config.Sources {
		if src.StackName == stackName && src.Account != "" {
			sender = src.Account
		}
	}
	if err := r.deliverToDestination(ctx, app, ev, sender, r.Events.Events()); err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	return r, nil
}

// pipelineOf finds the scenario's stack (default: the demo) and its export
// pipeline.
func pipelineOf(app *App, sc Scenario) (string, world, Wiring, error) {
	stackName := sc.Stack
	if stackName == "" {
		stackName = stacks.DemoStackName
	}
	tpl, ok := app.Templates[stackName]
	if !ok {
		var names []string
		for n := range app.Templates {
			names = append(names, n)
		}
		sort.Strings(names)
		return "", world{}, Wiring{}, fmt.Errorf("scenario stack %q was not synthesized; the app has %v", stackName, names)
	}
	wiring, ok := app.Wiring[stackName]
	if !ok {
		return "", world{}, Wiring{}, fmt.Errorf("scenario stack %q has no export pipeline to run (a demo or source stack)", stackName)
	}
	w := world{Stack: stackName, Resources: map[string]map[string]any{}}
	for id, r := range tpl["Resources"].(map[string]any) {
		w.Resources[id] = r.(map[string]any)
	}
	return stackName, w, wiring, nil
}

// stateMachines resolves every state machine of the stack: its ARN, type,
// role in the pipeline and parsed definition, by logical id.
func stateMachines(w world, wiring Wiring) (map[string]machine, map[string]map[string]any, error) {
	roles := map[string]string{wiring.ExportMachine: "export", wiring.CopyMachine: "copy", wiring.TableMachine: "table", wiring.MultipartMachine: "multipart"}
	machines := map[string]machine{}
	defs := map[string]map[string]any{}
	for id, r := range w.Resources {
		if r["Type"] != "AWS::StepFunctions::StateMachine" {
			continue
		}
		props := r["Properties"].(map[string]any)
		def, err := w.Resolve(props["DefinitionString"])
		if err != nil {
			return nil, nil, fmt.Errorf("state machine %s: %w", id, err)
		}
		var parsed map[string]any
		if err := json.Unmarshal([]byte(def.(string)), &parsed); err != nil {
			return nil, nil, fmt.Errorf("state machine %s: definition: %w", id, err)
		}
		typ, _ := props["StateMachineType"].(string)
		if typ == "" {
			typ = asl.TypeStandard
		}
		role := roles[id]
		if role == "" {
			role = id
		}
		machines[id] = machine{arn: w.StateMachineArn(id), typ: typ, role: role}
		defs[id] = parsed
	}
	return machines, defs, nil
}

// createBuckets creates the export and destination buckets in the S3 fake
// with the stack's owners, keys and bucket-key settings; it returns the
// export bucket's key ARN.
func (r *Run) createBuckets(w world, wiring Wiring) (exportKey string, err error) {
	str := func(v any) (string, error) {
		if v == nil {
			return "", nil
		}
		resolved, err := w.Resolve(v)
		return fmt.Sprint(resolved), err
	}
	var destKey string
	for _, f := range []struct {
		dst *string
		v   any
	}{{&r.ExportBucket, wiring.ExportBucket}, {&exportKey, wiring.ExportKeyArn}, {&r.DestinationBucket, wiring.DestinationBucket}, {&destKey, wiring.DestinationKeyArn}} {
		if *f.dst, err = str(f.v); err != nil {
			return "", err
		}
	}
	r.S3.CreateBucket(r.ExportBucket, s3fake.BucketOptions{Owner: Account, KMSKeyARN: exportKey, BucketOwnerEnforced: true,
		BucketKeyEnabled: bucketKeyEnabled(w, r.ExportBucket)})
	destOwner := Account
	if wiring.DestinationAccount != "" {
		destOwner = wiring.DestinationAccount // another account's bucket
	}
	r.S3.CreateBucket(r.DestinationBucket, s3fake.BucketOptions{Owner: destOwner, KMSKeyARN: destKey, BucketOwnerEnforced: true,
		BucketKeyEnabled: bucketKeyEnabled(w, r.DestinationBucket)})
	return exportKey, nil
}

// addFaults gives each scenario fault to the fake that answers its service;
// faults for services without a fake are injected before the call.
func (r *Run) addFaults(given []Fault) *otherFaults {
	faults := &otherFaults{services: map[string]*fakeapi.Service{}}
	for _, f := range given {
		service, action, _ := strings.Cut(f.Call, ":")
		ft := fakeapi.Fault{Action: action, Error: f.Error, Cause: f.Cause, Times: f.Times, KeyPattern: f.KeyPattern}
		switch service {
		case "s3":
			r.S3.AddFault(ft)
		case "rds":
			r.RDS.AddFault(ft)
		case "eventbridge":
			r.Events.AddFault(ft)
		default:
			faults.add(service, ft)
		}
	}
	return faults
}

// integration answers the state machines' aws-sdk tasks with the run's
// fakes, counting each call.
func (r *Run) integration(calls *callCounter, faults *otherFaults, busy *busyExports) asl.IntegrationFunc {
	return func(ctx context.Context, service, action string, args map[string]any) (any, error) {
		calls.add(service + ":" + action)
		if err := faults.inject(ctx, service, action, args); err != nil {
			return nil, err
		}
		if action == "startExportTask" {
			calls.exportTask(fmt.Sprint(args["ExportTaskIdentifier"]))
		}
		switch service {
		case "s3":
			return r.S3.Call(ctx, action, args)
		case "eventbridge":
			return r.Events.Call(ctx, action, args)
		case "rds":
			out, err := r.RDS.Call(ctx, action, args)
			if action == "startExportTask" && err != nil && awserr.As(err).Name == rdsfake.ErrRds {
				busy.advance(ctx, r.RDS)
			}
			return out, err
		}
		return nil, awserr.New("States.Runtime", "no local fake answers aws-sdk:%s:%s", service, action)
	}
}

func snapshotTime(sc Scenario) string {
	if sc.Snapshot.SnapshotTime != "" {
		return sc.Snapshot.SnapshotTime
	}
	return DefaultSnapshotTime
}

// prepareRDS adds the scenario's snapshot and export plan to the RDS fake
// and returns the event to deliver.
func prepareRDS(rds *rdsfake.Fake, w world, cfg stacks.Config, sc Scenario) (map[string]any, error) {
	kind := sc.Snapshot.Type
	if kind == "" {
		kind = "cluster"
	}
	source := sc.Snapshot.SourceIdentifier
	if source == "" {
		var err error
		if source, err = defaultSource(w, cfg, kind); err != nil {
			return nil, err
		}
	}
	t, _ := time.Parse(time.RFC3339Nano, snapshotTime(sc))
	id := sc.Snapshot.SnapshotID
	if id == "" {
		id = "rds:" + source + t.UTC().Format("-2006-01-02-15-04")
	}
	event := sc.Event
	if event == nil {
		event = snapshotEvent(kind, id, t)
	}
	detail, _ := event["detail"].(map[string]any)
	if sid, ok := detail["SourceIdentifier"].(string); ok {
		id = sid
	}
	arn, _ := detail["SourceArn"].(string)
	snapType := "manual"
	switch {
	case strings.HasPrefix(id, "rds:"):
		snapType = "automated"
	case strings.HasPrefix(id, "awsbackup:") && kind != "cluster":
		// Aurora: "Snapshots managed by AWS Backup are considered manual DB
		// cluster snapshots" (Aurora user guide); instances have "awsbackup".
		snapType = "awsbackup"
	}
	if kind == "cluster" {
		arn = rds.AddClusterSnapshot(rdsfake.ClusterSnapshot{
			Identifier: id, ARN: arn, ClusterIdentifier: source, Engine: sc.Snapshot.Engine,
			EngineVersion: "16.6", CreateTime: t, Type: snapType,
		})
	} else {
		engine := sc.Snapshot.Engine
		if engine == "" {
			engine = "postgres"
		}
		arn = rds.AddInstanceSnapshot(rdsfake.InstanceSnapshot{
			Identifier: id, ARN: arn, InstanceIdentifier: source, Engine: engine,
			EngineVersion: "16.6", CreateTime: t, Type: snapType,
		})
	}
	rds.SetPlan(arn, exportPlan(sc.Export))
	return event, nil
}

func defaultSource(w world, cfg stacks.Config, kind string) (string, error) {
	if w.Stack == stacks.DemoStackName {
		for id, r := range w.Resources {
			if r["Type"] == "AWS::RDS::DBCluster" && kind == "cluster" {
				return w.Ref(id)
			}
		}
	}
	for _, src := range cfg.Sources {
		if src.StackName != w.Stack {
			continue
		}
		if kind == "cluster" && len(src.ClusterIdentifiers) > 0 {
			return src.ClusterIdentifiers[0], nil
		}
		if kind == "instance" && len(src.InstanceIdentifiers) > 0 {
			return src.InstanceIdentifiers[0], nil
		}
	}
	return "", fmt.Errorf("stack %s has no configured %s source: set snapshot.sourceIdentifier", w.Stack, kind)
}

// snapshotEvent is the EventBridge event RDS sends for a new snapshot.
func snapshotEvent(kind, id string, t time.Time) map[string]any {
	detailType, sourceType, resource, eventID, message := "RDS DB Cluster Snapshot Event", "CLUSTER_SNAPSHOT", "cluster-snapshot", "RDS-EVENT-0169", "Automated cluster snapshot created"
	if kind == "instance" {
		detailType, sourceType, resource, eventID, message = "RDS DB Snapshot Event", "SNAPSHOT", "snapshot", "RDS-EVENT-0091", "Automated snapshot created"
	}
	if !strings.HasPrefix(id, "rds:") {
		if kind == "instance" {
			eventID, message = "RDS-EVENT-0042", "Manual snapshot created"
		} else {
			eventID, message = "RDS-EVENT-0075", "Manual cluster snapshot created"
		}
	}
	arn := fmt.Sprintf("arn:aws:rds:%s:%s:%s:%s", Region, Account, resource, id)
	at := t.Add(5 * time.Minute).UTC()
	return map[string]any{
		"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": detailType, "source": "aws.rds",
		"account": Account, "time": at.Format(time.RFC3339), "region": Region, "resources": []any{arn},
		"detail": map[string]any{
			"EventCategories": []any{"backup"}, "SourceType": sourceType, "SourceArn": arn,
			"Date": at.Format("2006-01-02T15:04:05.000Z"), "SourceIdentifier": id, "Message": message, "EventID": eventID,
		},
	}
}

func exportPlan(e Export) rdsfake.ExportPlan {
	polls := defaultPollsBeforeDone
	if e.PollsBeforeDone != nil {
		polls = *e.PollsBeforeDone
	}
	p := rdsfake.ExportPlan{PollsBeforeDone: polls, FinalStatus: e.FinalStatus, FailureCause: e.FailureCause}
	for _, o := range e.Objects {
		p.Objects = append(p.Objects, rdsfake.DeclaredObject{Key: o.Key, Size: o.Size})
	}
	if g := e.Generate; g != nil && g.Count > 0 {
		p.Generated = generated(*g)
	}
	for _, t := range e.Tables {
		p.Tables = append(p.Tables, rdsfake.Table{Database: t.Database, Schema: t.Schema, Table: t.Table, Columns: t.Columns, Rows: t.Rows, Types: t.Types, OriginalTypes: t.OriginalTypes})
	}
	if len(p.Objects) == 0 && p.Generated == nil && len(p.Tables) == 0 {
		p.Tables = rdsfake.DemoTables()
	}
	return p
}

// generated declares g.Count data files spread over tables and batches, each
// batch folder with its _SUCCESS marker, as RDS lays them out.
func generated(g Generate) iter.Seq[rdsfake.DeclaredObject] {
	return func(yield func(rdsfake.DeclaredObject) bool) {
		tables, batches := max(g.Tables, 1), max(g.Batches, 1)
		markers := map[string]bool{}
		for i := 0; i < g.Count; i++ {
			folder := fmt.Sprintf("appdb/public.table%03d/%d", i%tables, 1+(i/tables)%batches)
			if !yield(rdsfake.DeclaredObject{Key: fmt.Sprintf("%s/part-%05d-%08x-c000.gz.parquet", folder, i, i*2654435761), Size: g.Size}) {
				return
			}
			if !markers[folder] {
				markers[folder] = true
				if !yield(rdsfake.DeclaredObject{Key: folder + "/_SUCCESS"}) {
					return
				}
			}
		}
	}
}

// busyExports are other exports holding the account's export quota.
type busyExports struct {
	mu  sync.Mutex
	ids []string
}

func startBusyExports(ctx context.Context, rds *rdsfake.Fake, bucket, kmsKey string, e Export) (*busyExports, error) {
	b := &busyExports{}
	if e.BusyExports == 0 {
		return b, nil
	}
	polls := e.BusyPolls
	if polls == 0 {
		polls = defaultBusyPolls
	}
	for i := 0; i < e.BusyExports; i++ {
		id := fmt.Sprintf("other-export-%d", i+1)
		arn := rds.AddClusterSnapshot(rdsfake.ClusterSnapshot{Identifier: id, ClusterIdentifier: "other-db", Type: "manual", CreateTime: time.Now()})
		rds.SetPlan(arn, rdsfake.ExportPlan{PollsBeforeDone: polls - 1, Objects: []rdsfake.DeclaredObject{{Key: "other/public.t/1/_SUCCESS"}}})
		if _, err := rds.Call(ctx, "startExportTask", map[string]any{
			"ExportTaskIdentifier": id, "SourceArn": arn, "S3BucketName": bucket,
			"IamRoleArn": "arn:aws:iam::" + Account + ":role/other-export", "KmsKeyId": kmsKey,
		}); err != nil {
			return nil, fmt.Errorf("starting busy export %s: %w", id, err)
		}
		b.ids = append(b.ids, id)
	}
	return b, nil
}

// advance moves every busy export one poll closer to its end, as time
// passes while the state machine backs off.
func (b *busyExports) advance(ctx context.Context, rds *rdsfake.Fake) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range b.ids {
		_, _ = rds.Call(ctx, "describeExportTasks", map[string]any{"ExportTaskIdentifier": id})
	}
}

// otherFaults fault the calls of services that have no fake of their own
// (sfn:describeExecution, …), so a scenario can fail any call.
type otherFaults struct {
	mu       sync.Mutex
	services map[string]*fakeapi.Service
}

func (o *otherFaults) add(service string, ft fakeapi.Fault) {
	o.mu.Lock()
	s, ok := o.services[service]
	if !ok {
		s = fakeapi.NewService(service, &o.mu, nil)
		o.services[service] = s
	}
	o.mu.Unlock()
	s.AddFault(ft)
}

func (o *otherFaults) inject(ctx context.Context, service, action string, args map[string]any) error {
	o.mu.Lock()
	s := o.services[service]
	o.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Inject(ctx, action, args)
}

// callCounter counts the calls the state machines made, by "service:action".
type callCounter struct {
	mu      sync.Mutex
	n       map[string]int
	exports []string
}

// exportTask records an export id the state machine asked for.
func (c *callCounter) exportTask(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.exports {
		if e == id {
			return
		}
	}
	c.exports = append(c.exports, id)
}

func (c *callCounter) exportTaskIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.exports...)
}

func (c *callCounter) add(call string) {
	c.mu.Lock()
	c.n[call]++
	c.mu.Unlock()
}

func (c *callCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}
