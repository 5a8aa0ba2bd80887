// Package eventsfake is a local Amazon EventBridge for the local run: the
// PutEvents action as the state machines call it through the aws-sdk
// integration (aws-sdk:eventbridge:putEvents), with the limits EventBridge
// documents, and the events it accepted, by bus.
package eventsfake
