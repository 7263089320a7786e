-- The schema as version 3 created it (the inbox's unread markers, the device's language), for the migration test.
CREATE TABLE meta (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE send (
	id INTEGER NOT NULL, 
	kind VARCHAR NOT NULL, 
	tracking_id VARCHAR NOT NULL, 
	transaction_id VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	received_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	api_user VARCHAR NOT NULL, 
	client_ip VARCHAR NOT NULL, 
	request_body VARCHAR NOT NULL, 
	application_ids JSON NOT NULL, 
	all_applications BOOLEAN NOT NULL, 
	segment_id VARCHAR, 
	table_id VARCHAR, 
	template_ids JSON NOT NULL, 
	schedule_at DATETIME, 
	use_only_engaged BOOLEAN NOT NULL, 
	content JSON NOT NULL, 
	warnings JSON NOT NULL, 
	response_body JSON NOT NULL, 
	delivery_count INTEGER NOT NULL, 
	completed_at DATETIME, 
	contact_key VARCHAR, 
	trace_id VARCHAR, 
	tags JSON NOT NULL, 
	targets JSON, 
	current JSON, 
	language VARCHAR, 
	inbox_params JSON, 
	fallback_channel JSON, 
	read_at DATETIME, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_send_kind ON send (kind);
CREATE INDEX ix_send_received_at ON send (received_at);
CREATE INDEX ix_send_contact_key ON send (contact_key);
CREATE INDEX ix_send_status_schedule ON send (status, schedule_at);
CREATE INDEX ix_send_trace ON send (api_user, trace_id);
CREATE INDEX ix_send_transaction_id ON send (transaction_id);
CREATE INDEX ix_send_tracking_id ON send (tracking_id);
CREATE TABLE journal (
	id INTEGER NOT NULL, 
	received_at DATETIME NOT NULL, 
	method VARCHAR NOT NULL, 
	path VARCHAR NOT NULL, 
	"query" VARCHAR NOT NULL, 
	status INTEGER NOT NULL, 
	api_user VARCHAR, 
	client_ip VARCHAR NOT NULL, 
	latency_ms FLOAT NOT NULL, 
	headers JSON NOT NULL, 
	body VARCHAR NOT NULL, 
	body_truncated BOOLEAN NOT NULL, 
	error VARCHAR, 
	tracking_id VARCHAR, 
	fault VARCHAR, 
	repeat_of VARCHAR, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_journal_status ON journal (status);
CREATE INDEX ix_journal_received_at ON journal (received_at);
CREATE INDEX ix_journal_api_user ON journal (api_user);
CREATE TABLE delivery (
	id INTEGER NOT NULL, 
	send_id INTEGER NOT NULL, 
	token VARCHAR NOT NULL, 
	application_id VARCHAR NOT NULL, 
	platform VARCHAR NOT NULL, 
	contact_key VARCHAR, 
	language VARCHAR, 
	device_language VARCHAR, 
	device_type VARCHAR, 
	browser VARCHAR, 
	title VARCHAR, 
	message VARCHAR, 
	target_url VARCHAR, 
	media_url VARCHAR, 
	extra JSON NOT NULL, 
	status VARCHAR NOT NULL, 
	reason VARCHAR, 
	created_at DATETIME NOT NULL, 
	opened_at DATETIME, 
	clicked_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (send_id, application_id, token), 
	FOREIGN KEY(send_id) REFERENCES send (id)
);
CREATE INDEX ix_delivery_contact_key ON delivery (contact_key);
CREATE INDEX ix_delivery_token ON delivery (token);
CREATE INDEX ix_delivery_send_id ON delivery (send_id);
INSERT INTO meta (key, value) VALUES ('schema_version', '3');
