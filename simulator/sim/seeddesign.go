package sim

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/simulator/asl"
	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
	"github.com/snapshotlake/snapshotlake/simulator/s3fake"
)

// The seed write-up's copy design, rebuilt with CDK for comparison: one
// Standard execution lists the export 1,000 keys at a time and copies each
// page with an inline Map (concurrency 50), looping on the continuation
// token. Every iteration's events land in that one execution's history.
const (
	seedSourceBucket = "seed-export-bucket"
	seedDestBucket   = "seed-destination-bucket"
	seedExportRoot   = "export-id/"
)

func seedDesignDefinition() (map[string]any, error) {
	useProjectNode()
	var def map[string]any
	err := catch(func() error {
		app := awscdk.NewApp(&awscdk.AppProps{AnalyticsReporting: jsii.Bool(false)})
		stack := awscdk.NewStack(app, jsii.String("SeedDesign"), nil)
		// Only the definition is simulated, so the tasks are plain ASL and
		// the role's policy is left out.
		task := func(id, action string, fields map[string]any) sfn.CustomState {
			fields["Type"] = "Task"
			fields["Resource"] = "arn:" + *awscdk.Aws_PARTITION() + ":states:::aws-sdk:s3:" + action
			return sfn.NewCustomState(stack, jsii.String(id), &sfn.CustomStateProps{StateJson: &fields})
		}
		list := func(id string, token bool) sfn.CustomState {
			args := map[string]any{"Bucket": seedSourceBucket, "Prefix": "{% $states.input.s3Prefix %}"}
			if token {
				args["Prefix"] = "{% $prefix %}"
				args["ContinuationToken"] = "{% $states.input.NextContinuationToken %}"
			}
			return task(id, "listObjectsV2", map[string]any{
				"Arguments": args,
				"Assign":    map[string]any{"prefix": "{% $exists($prefix) ? $prefix : $states.input.s3Prefix %}", "snapshotTime": "{% $exists($snapshotTime) ? $snapshotTime : $states.input.snapshotTime %}"},
			})
		}
		format := sfn.Pass_Jsonata(stack, jsii.String("FormatDestinationKey"), &sfn.PassJsonataProps{
			Outputs: "{% ($s := $split($states.input.Key, '/'); {'source': $states.input.Key, 'destination': $s[1] & '/' & $s[2] & '/partition_datetime=' & $snapshotTime & '/' & $s[3] & '/' & $s[4]}) %}",
		})
		copyObject := task("CopyS3Object", "copyObject", map[string]any{
			"Arguments": map[string]any{
				"Bucket": seedDestBucket, "CopySource": "{% '" + seedSourceBucket + "/' & $states.input.source %}", "Key": "{% $states.input.destination %}",
			},
			"Output": "{% {} %}",
		})
		m := sfn.Map_Jsonata(stack, jsii.String("Map"), &sfn.MapJsonataProps{
			Items:          sfn.ProvideItems_Jsonata(jsii.String("{% $append([], $states.input.Contents[$contains(Key, /_SUCCESS|parquet/i)]) %}")),
			MaxConcurrency: jsii.Number(50),
			Outputs:        "{% $states.input %}",
		})
		m.ItemProcessor(format.Next(copyObject), nil)
		done := sfn.Succeed_Jsonata(stack, jsii.String("Succeeded"), nil)
		more := sfn.Choice_Jsonata(stack, jsii.String("CheckIfAllListed"), nil)
		next := list("ListObjectsWithToken", true)
		more.When(sfn.Condition_Jsonata(jsii.String("{% $states.input.IsTruncated = false %}")), done, nil)
		more.Otherwise(next.Next(m))
		first := list("ListObjects", false)
		first.Next(m).Next(more)
		sm := sfn.NewStateMachine(stack, jsii.String("Seed"), &sfn.StateMachineProps{
			DefinitionBody: sfn.DefinitionBody_FromChainable(first),
			QueryLanguage:  sfn.QueryLanguage_JSONATA,
			Timeout:        awscdk.Duration_Hours(jsii.Number(1)),
		})
		asm := app.Synth(nil)
		b, err := json.Marshal(asm.GetStackByName(stack.StackName()).Template())
		if err != nil {
			return err
		}
		var tpl struct{ Resources map[string]map[string]any }
		if err := json.Unmarshal(b, &tpl); err != nil {
			return err
		}
		id := *stack.GetLogicalId(sm.Node().DefaultChild().(awscdk.CfnElement))
		w := world{Stack: "SeedDesign", Resources: tpl.Resources}
		resolved, err := w.Resolve(tpl.Resources[id]["Properties"].(map[string]any)["DefinitionString"])
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(resolved.(string)), &def)
	})
	return def, err
}

// RunSeedDesign copies an export of count declared objects (spread like
// Generate) with the seed's design and returns its figures.
func RunSeedDesign(ctx context.Context, ev jsonata.Engine, count int, size int64) (Figures, Execution, error) {
	def, err := seedDesignDefinition()
	if err != nil {
		return Figures{}, Execution{}, err
	}
	s3 := s3fake.NewFake()
	s3.CreateBucket(seedSourceBucket)
	s3.CreateBucket(seedDestBucket)
	for o := range generated(Generate{Count: count, Size: size, Tables: 20, Batches: 4}) {
		if err := s3.PutDeclared(seedSourceBucket, seedExportRoot+o.Key, o.Size); err != nil {
			return Figures{}, Execution{}, err
		}
	}
	exec := asl.New(asl.IntegrationFunc(func(ctx context.Context, service, action string, args map[string]any) (any, error) {
		return s3.Call(ctx, action, args)
	}), asl.FromJSONata(ev), asl.WithClock(func() time.Time { return time.Date(2026, 11, 24, 3, 20, 0, 0, time.UTC) }))
	const arn = "arn:aws:states:" + Region + ":" + Account + ":stateMachine:seed-design"
	if err := exec.Register(arn, def, asl.TypeStandard); err != nil {
		return Figures{}, Execution{}, err
	}
	x, err := exec.Start(ctx, arn, "seed", map[string]any{"s3Prefix": seedExportRoot, "snapshotTime": "2026-11-24T03:04:58.145Z"})
	if err != nil {
		return Figures{}, Execution{}, err
	}
	sum := exec.Summary()
	exported := s3.Objects(seedSourceBucket, "")
	f := Figures{
		ObjectsInExport: len(exported), CopiedObjects: len(s3.Objects(seedDestBucket, "")),
		MaxHistoryEvents: sum.MaxHistoryEvents, MaxStandardHistoryEvents: sum.MaxHistoryEvents, StandardTransitions: sum.StateTransitions,
		ExpressRequests: sum.ExpressRequests, StandardExecutions: sum.StandardExecutions, CopyConcurrency: 50,
	}
	for _, o := range exported {
		f.LargestObject = max(f.LargestObject, o.Size)
	}
	if f.CopiedObjects > 0 {
		f.StandardTransitionsPerObject = float64(f.StandardTransitions) / float64(f.CopiedObjects)
	}
	return f, Execution{StateMachine: "seed-design", Name: x.Name, Type: x.Type, Status: string(x.Status), Error: x.Error, Cause: x.Cause, HistoryEvents: x.HistoryEvents, StateTransitions: x.StateTransitions}, nil
}
