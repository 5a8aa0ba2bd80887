package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/internal/cdkjson"
	"github.com/snapshotlake/snapshotlake/stacks"
)

// App is the synthesized app: templates by stack name and the
// configuration they were built from.
type App struct {
	Config    stacks.Config
	Templates map[string]map[string]any
	// Wiring is, by stack name, what the local run needs of each demo or
	// source stack, taken from the stacks' typed handles.
	Wiring map[string]Wiring
	// NagFindings are the unsuppressed cdk-nag errors and warnings by stack
	// (`cdk synth` fails on the errors).
	NagFindings map[string][]string
}

// Synthesize builds the app in-process from context, as `cdk synth -c …`
// does, and returns its templates.
func Synthesize(context map[string]any) (*App, error) {
	useProjectNode()
	ctx, err := cdkjson.FeatureFlags() // as `cdk synth` applies them
	if err != nil {
		return nil, err
	}
	ctx["aws:cdk:enable-path-metadata"] = true
	for k, v := range context {
		ctx[k] = v
	}
	var out *App
	err = catch(func() error {
		app := awscdk.NewApp(&awscdk.AppProps{AnalyticsReporting: jsii.Bool(false), Context: &ctx})
		cfg, err := stacks.ConfigFromContext(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) })
		if err != nil {
			return err
		}
		built, err := stacks.Build(app, cfg)
		if err != nil {
			return err
		}
		asm := app.Synth(nil)
		out = &App{Config: cfg, Templates: map[string]map[string]any{}, Wiring: map[string]Wiring{}, NagFindings: map[string][]string{}}
		nagMessage := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
		for _, b := range built {
			s := b.Stack
			if b.Pipeline != nil {
				w, err := wiringOf(s, b.Pipeline)
				if err != nil {
					return err
				}
				out.Wiring[*s.StackName()] = w
			}
			ann := assertions.Annotations_FromStack(s)
			for _, m := range append(*ann.FindError(jsii.String("*"), nagMessage), *ann.FindWarning(jsii.String("*"), nagMessage)...) {
				out.NagFindings[*s.StackName()] = append(out.NagFindings[*s.StackName()], fmt.Sprintf("%s %v", *m.Id, m.Entry.Data)) //nolint:staticcheck // Id is the construct path; its replacement is not in the Go bindings
			}
			b, err := json.Marshal(asm.GetStackByName(s.StackName()).Template())
			if err != nil {
				return err
			}
			var tpl map[string]any
			if err := json.Unmarshal(b, &tpl); err != nil {
				return err
			}
			out.Templates[*s.StackName()] = tpl
		}
		return nil
	})
	return out, err
}

// catch turns a jsii panic into an error.
func catch(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis failed: %v", r)
		}
	}()
	return f()
}

// useProjectNode points jsii at the project's Node 22 (node_modules/.bin)
// when JSII_NODE is not set, so synthesis does not run on an older Node the
// machine may have.
func useProjectNode() {
	if os.Getenv("JSII_NODE") != "" {
		return
	}
	dir, err := os.Getwd()
	for err == nil {
		node := filepath.Join(dir, "node_modules", ".bin", "node")
		if _, statErr := os.Stat(node); statErr == nil {
			_ = os.Setenv("JSII_NODE", node)
			return
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return
		}
		dir = parent
	}
}

// Wiring is what the local run needs of a demo or source stack: the logical
// ids of its state machines and the template values (intrinsics or
// literals) of its buckets and keys.
type Wiring struct {
	ExportMachine, CopyMachine, TableMachine, MultipartMachine string
	ExportBucket, ExportKeyArn                                 any
	DestinationBucket                                          any
	// DestinationKeyArn is nil when copies take the bucket's default encryption.
	DestinationKeyArn any
	// DestinationAccount owns the destination bucket; "" for the stack's own.
	DestinationAccount string
	CopyConcurrency    int
	CopiesPerChild     int
}

func wiringOf(stack awscdk.Stack, p *stacks.Pipeline) (Wiring, error) {
	resolve := func(token *string) any {
		var v any
		b, _ := json.Marshal(stack.Resolve(token))
		_ = json.Unmarshal(b, &v)
		return v
	}
	logicalID := func(arn *string) (string, error) {
		ref, ok := resolve(arn).(map[string]any)["Ref"].(string)
		if !ok {
			return "", fmt.Errorf("stack %s: state machine ARN %v is not a reference", *stack.StackName(), resolve(arn))
		}
		return ref, nil
	}
	w := Wiring{
		ExportBucket: resolve(p.ExportBucket.BucketName()), ExportKeyArn: resolve(p.ExportKey.KeyArn()),
		DestinationBucket: resolve(p.DestinationBucket.BucketName()), DestinationAccount: p.DestinationAccount,
		CopyConcurrency: p.Copy.MaxConcurrency(), CopiesPerChild: p.Copy.CopiesPerChild(),
	}
	if p.DestinationKey != nil {
		w.DestinationKeyArn = resolve(p.DestinationKey.KeyArn())
	}
	var err error
	for _, m := range []struct {
		dst *string
		arn *string
	}{
		{&w.ExportMachine, p.Export.StateMachine().StateMachineArn()},
		{&w.CopyMachine, p.Copy.StateMachine().StateMachineArn()},
		{&w.TableMachine, p.Copy.TableStateMachine().StateMachineArn()},
		{&w.MultipartMachine, p.Copy.MultipartStateMachine().StateMachineArn()},
	} {
		if *m.dst, err = logicalID(m.arn); err != nil {
			return w, err
		}
	}
	return w, nil
}
