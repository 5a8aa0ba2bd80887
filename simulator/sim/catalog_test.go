package sim

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/simulator/eventsfake"
	"github.com/snapshotlake/snapshotlake/simulator/jsonata"
	"github.com/snapshotlake/snapshotlake/simulator/s3fake"
	"github.com/snapshotlake/snapshotlake/stacks"
)

func TestMatches_eventPatternsOfTheStacks(t *testing.T) {
	pattern := map[string]any{
		"source": []any{"snapshotlake"}, "detail-type": []any{"RDS Snapshot Export Copied"},
		"detail": map[string]any{"schemaVersion": []any{2.0}, "destinationBucket": []any{"b"}},
	}
	event := func(version any, bucket string) map[string]any {
		return map[string]any{"source": "snapshotlake", "detail-type": "RDS Snapshot Export Copied",
			"detail": map[string]any{"schemaVersion": version, "destinationBucket": bucket}}
	}
	assert.True(t, matches(pattern, event(2.0, "b")))
	assert.False(t, matches(pattern, event(1.0, "b")), "another schema version")
	assert.False(t, matches(pattern, event("2", "b")), "a string is not the number 2")
	assert.False(t, matches(pattern, event(2.0, "other")), "another bucket")
	assert.False(t, matches(pattern, map[string]any{"source": "snapshotlake"}), "fields missing")
	assert.True(t, matches(map[string]any{"resources": []any{"r2"}}, map[string]any{"resources": []any{"r1", "r2"}}), "one of the event's values")
}

// destinationApp is a destination stack with a bus admitting one account
// and a rule starting a state machine.
func destinationApp(admitted string) *App {
	def := `{"QueryLanguage": "JSONata", "StartAt": "Done", "States": {"Done": {"Type": "Succeed", "Output": "{% $states.input.account %}"}}}`
	resources := map[string]any{
		"Bus":     map[string]any{"Type": "AWS::Events::EventBus", "Properties": map[string]any{"Name": "snapshotlake"}},
		"Policy":  map[string]any{"Type": "AWS::Events::EventBusPolicy", "Properties": map[string]any{"EventBusName": map[string]any{"Ref": "Bus"}, "Statement": map[string]any{"Effect": "Allow", "Action": "events:PutEvents", "Principal": map[string]any{"AWS": []any{"arn:aws:iam::" + admitted + ":root"}}}}},
		"Machine": map[string]any{"Type": "AWS::StepFunctions::StateMachine", "Properties": map[string]any{"DefinitionString": def}},
		"Rule": map[string]any{"Type": "AWS::Events::Rule", "Properties": map[string]any{
			"EventBusName": map[string]any{"Ref": "Bus"},
			"EventPattern": map[string]any{"source": []any{"snapshotlake"}},
			"Targets":      []any{map[string]any{"Arn": map[string]any{"Ref": "Machine"}, "Id": "T"}},
		}},
	}
	return &App{
		Templates: map[string]map[string]any{stacks.DestinationStackName: {"Resources": resources}},
		Config:    stacks.Config{Destination: &stacks.DestinationConfig{Account: "444455556666", Region: Region}},
	}
}

func TestDeliverToDestination_onlyFromAdmittedAccountsAndToMatchingRules(t *testing.T) {
	ev, err := jsonata.Start()
	require.NoError(t, err)
	defer func() { _ = ev.Close() }()
	bus := "arn:aws:events:" + Region + ":444455556666:event-bus/snapshotlake"
	events := []eventsfake.Event{
		{Bus: bus, Source: "snapshotlake", DetailType: "x", Detail: map[string]any{}},
		{Bus: bus, Source: "someone-else", DetailType: "x", Detail: map[string]any{}},
		{Bus: "arn:aws:events:" + Region + ":111122223333:event-bus/default", Source: "snapshotlake", Detail: map[string]any{}},
	}

	// GIVEN a bus admitting 222233334444 WHEN 111122223333 sends THEN nothing is delivered
	r := &Run{S3: s3fake.NewFake()}
	require.NoError(t, r.deliverToDestination(context.Background(), destinationApp("222233334444"), ev, "111122223333", events))
	assert.Empty(t, r.Result.Catalog)
	assert.Equal(t, 2, r.Result.CatalogRefused, "both events on the destination bus refused")

	// WHEN the admitted account sends THEN the matching event starts the rule's state machine, with the sender as account
	r = &Run{S3: s3fake.NewFake()}
	require.NoError(t, r.deliverToDestination(context.Background(), destinationApp("222233334444"), ev, "222233334444", events))
	require.Len(t, r.Result.Catalog, 1)
	assert.Equal(t, "SUCCEEDED", r.Result.Catalog[0].Status)
	assert.Equal(t, "222233334444", r.Result.Catalog[0].Output)
}
