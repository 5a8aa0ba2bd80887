package stacks

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"

	"github.com/snapshotlake/snapshotlake/constructs/catalog"
	"github.com/snapshotlake/snapshotlake/constructs/demo"
	"github.com/snapshotlake/snapshotlake/constructs/destination"
	"github.com/snapshotlake/snapshotlake/constructs/monitoring"
	"github.com/snapshotlake/snapshotlake/constructs/rdsexport"
	"github.com/snapshotlake/snapshotlake/constructs/s3copy"
	"github.com/snapshotlake/snapshotlake/internal/nag"
	"github.com/snapshotlake/snapshotlake/internal/secure"

	"github.com/snapshotlake/snapshotlake/internal/kmskey"
)

// Stack names.
const (
	DemoStackName        = "SnapshotLakeDemo"
	SourceStackName      = "SnapshotLakeSource"
	DestinationStackName = "SnapshotLakeDestination"
)

// Built is one stack Build made, with typed handles on what tools (the
// local run, the README generator) need, so that none looks resources up by
// construct path or state name.
type Built struct {
	Stack awscdk.Stack
	// Pipeline is set for the demo and source stacks.
	Pipeline *Pipeline
	// Destination is set for the destination stack.
	Destination *destination.Destination
	// Catalog is set for the destination stack with its catalog on.
	Catalog *catalog.Catalog
}

// Pipeline is what a demo or source stack wires: the constructs and the
// buckets and keys they connect.
type Pipeline struct {
	Export            *rdsexport.RdsExport
	Copy              *s3copy.S3Copy
	ExportBucket      awss3.IBucket
	ExportKey         awskms.IKey
	DestinationBucket awss3.IBucket
	// DestinationKey is nil when copies take the bucket's default encryption.
	DestinationKey awskms.IKey
	// DestinationAccount owns DestinationBucket; "" when it is this stack's account.
	DestinationAccount string
}

// Build adds the configured stacks to app, with the cdk-nag AwsSolutions
// checks applied to each: an unsuppressed finding is an error annotation,
// which fails `cdk synth`.
func Build(app awscdk.App, cfg Config) ([]Built, error) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	var out []Built
	if cfg.Demo {
		b, err := NewDemoStack(app, DemoStackName, cfg.Pipeline, cfg.AlarmEmails)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", DemoStackName, err)
		}
		out = append(out, b)
	}
	if cfg.Destination != nil {
		b, err := NewDestinationStack(app, DestinationStackName, *cfg.Destination, cfg.AlarmEmails)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", DestinationStackName, err)
		}
		out = append(out, b)
	}
	for _, src := range cfg.Sources {
		b, err := NewSourceStack(app, src.StackName, src, cfg.Pipeline, cfg.AlarmEmails)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.StackName, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// NewDemoStack puts the seed's demo in one account: DemoResources, S3Copy
// into the demo's destination bucket, and RdsExport of the demo cluster.
func NewDemoStack(scope constructs.Construct, id string, p PipelineConfig, alarmEmails []string) (Built, error) {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Description: jsii.String("Snapshot export demo: Aurora PostgreSQL snapshots to Parquet in a Hive-style layout, no Lambda"),
	})
	d, err := demo.New(stack, "DemoResources", nil)
	if err != nil {
		return Built{}, err
	}
	pl, err := addPipeline(stack, pipeline{
		exportBucket: d.ExportBucket(), exportKey: d.ExportKey(),
		destinationBucket: d.DestinationBucket(), destinationKey: d.DestinationKey(),
		clusters: []awsrds.IDatabaseCluster{d.Cluster()},
		emails:   alarmEmails,
	}, p)
	return Built{Stack: stack, Pipeline: pl}, err
}

// NewDestinationStack is what the analytics account deploys: the bucket
// every source copies into, with its key and the event bus, admitting the
// source accounts' copy roles; the Glue catalog of every copied export
// (construct ids "Catalog" and "Monitoring", unless Catalog is off); the
// optional Storage Transfer role and queue for Google Cloud Storage.
func NewDestinationStack(scope constructs.Construct, id string, d DestinationConfig, alarmEmails []string) (Built, error) {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Description: jsii.String("Analytics bucket receiving RDS snapshot exports from the source accounts, cataloged in Glue"),
		Env:         env(d.Account, d.Region),
	})
	dest, err := destination.New(stack, "Destination", &destination.Props{
		BucketName:              d.BucketName,
		SourceAccounts:          d.SourceAccounts,
		OrganizationID:          d.OrganizationID,
		SourceRegions:           d.SourceRegions,
		CopyRoleNamePrefix:      destination.DefaultCopyRoleNamePrefix,
		GoogleTransferSubjectID: d.GoogleTransferSubjectID,
		GoogleTransferPrefix:    d.GoogleTransferPrefix,
		GoogleTransferEvents:    d.GoogleTransferEvents,
	})
	b := Built{Stack: stack, Destination: dest}
	if err != nil || !d.Catalog {
		return b, err
	}
	if b.Catalog, err = catalog.New(stack, "Catalog", &catalog.Props{
		Bucket: dest.Bucket(), Key: dest.Key(), EventBus: dest.EventBus(), DatabaseName: d.CatalogDatabase,
	}); err != nil {
		return b, err
	}
	_, err = monitoring.New(stack, "Monitoring", &monitoring.Props{
		StateMachines:     map[string]sfn.IStateMachine{"Catalog": b.Catalog.StateMachine()},
		Emails:            alarmEmails,
		WatchExportEvents: jsii.Bool(false),
	})
	return b, err
}

func env(account, region string) *awscdk.Environment {
	if account == "" && region == "" {
		return nil
	}
	e := &awscdk.Environment{}
	if account != "" {
		e.Account = jsii.String(account)
	}
	if region != "" {
		e.Region = jsii.String(region)
	}
	return e
}

// NewSourceStack is what each source account deploys: a staging export
// bucket and key, S3Copy into the (possibly other account's) destination
// bucket, and RdsExport of the configured clusters and instances.
func NewSourceStack(scope constructs.Construct, id string, src SourceConfig, p PipelineConfig, alarmEmails []string) (Built, error) {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Description: jsii.String("Exports RDS/Aurora snapshots to Parquet and copies them to the analytics bucket, no Lambda"),
		Env:         env(src.Account, src.Region),
	})
	retention := p.ExportRetentionDays
	if retention == 0 {
		retention = 7
	}
	exportKey := kmskey.New(stack, "ExportKey", "Encrypts RDS snapshot exports in the staging bucket", "")
	exportBucketProps := secure.BucketProps(exportKey)
	exportBucketProps.LifecycleRules = &[]*awss3.LifecycleRule{{
		Id:                                  jsii.String("ExpireExports"),
		Expiration:                          awscdk.Duration_Days(jsii.Number(float64(retention))),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
	}}
	exportBucket := awss3.NewBucket(stack, jsii.String("ExportBucket"), exportBucketProps)
	nag.Suppress(exportBucket, "AwsSolutions-S1", demo.AccessLogsReason)
	attrs := &awss3.BucketAttributes{BucketName: jsii.String(src.DestinationBucket)}
	if src.DestinationAccount != "" {
		attrs.Account = jsii.String(src.DestinationAccount)
	}
	destBucket := awss3.Bucket_FromBucketAttributes(stack, jsii.String("DestinationBucket"), attrs)
	var destKey awskms.IKey
	if src.DestinationKeyArn != "" {
		destKey = awskms.Key_FromKeyArn(stack, jsii.String("DestinationKey"), jsii.String(src.DestinationKeyArn))
	}
	pl, err := addPipeline(stack, pipeline{
		exportBucket: exportBucket, exportKey: exportKey,
		destinationBucket: destBucket, destinationKey: destKey,
		destinationBus: destinationBus(stack, src),
		clusterIDs:     src.ClusterIdentifiers, instanceIDs: src.InstanceIdentifiers,
		roleNamePrefix:     destination.DefaultCopyRoleNamePrefix,
		destinationAccount: src.DestinationAccount,
		emails:             alarmEmails,
	}, p)
	return Built{Stack: stack, Pipeline: pl}, err
}

// destinationBus is the analytics account's event bus the source announces
// copied exports on: the configured ARN, or the destination stack's bus in
// the destination account and this stack's Region.
func destinationBus(stack awscdk.Stack, src SourceConfig) awsevents.IEventBus {
	arn := src.DestinationEventBusArn
	switch {
	case arn == "none":
		return nil
	case arn == "" && src.DestinationAccount == "":
		return nil
	case arn == "":
		arn = *stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("events"), Account: jsii.String(src.DestinationAccount),
			Resource: jsii.String("event-bus"), ResourceName: jsii.String(DefaultEventBusName),
		})
	}
	return awsevents.EventBus_FromEventBusArn(stack, jsii.String("DestinationEventBus"), jsii.String(arn))
}

type pipeline struct {
	exportBucket      awss3.IBucket
	exportKey         awskms.IKey
	destinationBucket awss3.IBucket
	destinationKey    awskms.IKey
	clusters          []awsrds.IDatabaseCluster
	clusterIDs        []string
	instanceIDs       []string
	// destinationAccount owns destinationBucket, when known.
	destinationAccount string
	// destinationBus also hears of copied exports, when set.
	destinationBus awsevents.IEventBus
	// roleNamePrefix names the copy roles for another account's policies.
	roleNamePrefix string
	emails         []string
}

// addPipeline wires S3Copy, RdsExport and Monitoring; construct ids
// "S3Copy", "RdsExport" and "Monitoring" are part of every stack's contract.
func addPipeline(stack awscdk.Stack, pl pipeline, p PipelineConfig) (*Pipeline, error) {
	cp, err := s3copy.New(stack, "S3Copy", &s3copy.Props{
		SourceBucket:          pl.exportBucket,
		SourceKey:             pl.exportKey,
		DestinationBucket:     pl.destinationBucket,
		DestinationKey:        pl.destinationKey,
		DestinationPrefix:     p.DestinationPrefix,
		DestinationAccount:    pl.destinationAccount,
		PartitionKey:          p.PartitionKey,
		PartitionValuePicture: p.PartitionValuePicture,
		MaxConcurrency:        p.MaxConcurrency,
		RoleNamePrefix:        pl.roleNamePrefix,
	})
	if err != nil {
		return nil, err
	}
	exp, err := rdsexport.New(stack, "RdsExport", &rdsexport.Props{
		Clusters:            pl.clusters,
		ClusterIdentifiers:  pl.clusterIDs,
		InstanceIdentifiers: pl.instanceIDs,
		ExportBucket:        pl.exportBucket,
		ExportKey:           pl.exportKey,
		S3Prefix:            p.S3Prefix,
		ExportOnly:          p.ExportOnly,
		CopyStateMachine:    cp.StateMachine(),
		DestinationEventBus: pl.destinationBus,
		PollInterval:        duration(p.PollInterval),
		ExportTimeout:       duration(p.ExportTimeout),
	})
	if err != nil {
		return nil, err
	}
	_, err = monitoring.New(stack, "Monitoring", &monitoring.Props{
		StateMachines: map[string]sfn.IStateMachine{
			"Export": exp.StateMachine(), "Copy": cp.StateMachine(), "TableCopy": cp.TableStateMachine(), "MultipartCopy": cp.MultipartStateMachine(),
		},
		Emails: pl.emails,
	})
	return &Pipeline{
		Export: exp, Copy: cp, ExportBucket: pl.exportBucket, ExportKey: pl.exportKey,
		DestinationBucket: pl.destinationBucket, DestinationKey: pl.destinationKey, DestinationAccount: pl.destinationAccount,
	}, err
}

func duration(d time.Duration) awscdk.Duration {
	if d == 0 {
		return nil
	}
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}
