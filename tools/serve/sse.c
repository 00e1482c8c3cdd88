// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * leco serve: /api/events, server-sent events. One event per poll while anyone listens: the
 * same bytes for every client (reference-counted), each client at its own offset. A client
 * with nothing left to send is suspended (libmicrohttpd stops polling its socket) and resumed
 * by the next event, so an idle stream costs nothing; a client that went away is found when
 * the next event is written to it.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

struct msg {
	unsigned int refs;
	size_t len;
	char data[];
};

struct client {
	struct web_sse *e;
	struct MHD_Connection *conn;
	struct msg *msg; /* being sent */
	size_t off;
	uint64_t seq; /* of msg */
	bool suspended;
	struct client *prev, *next;
};

struct web_sse {
	pthread_mutex_t lock;
	struct client *clients;
	unsigned int n, max;
	struct msg *cur; /* the latest event */
	uint64_t seq;
	bool stopping;
};

struct web_sse *web_sse_new(unsigned int max_clients)
{
	struct web_sse *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	e->max = max_clients;
	return e;
}

static void unref(struct msg *m)
{
	if (m && !--m->refs)
		free(m);
}

void web_sse_free(struct web_sse *e)
{
	if (!e)
		return;
	unref(e->cur);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

unsigned int web_sse_clients(struct web_sse *e)
{
	unsigned int n;

	pthread_mutex_lock(&e->lock);
	n = e->n;
	pthread_mutex_unlock(&e->lock);
	return n;
}

/* libmicrohttpd asks for more of the stream (its thread). */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct client *c = cls;
	struct web_sse *e = c->e;
	ssize_t n = 0;

	(void)pos;
	pthread_mutex_lock(&e->lock);
	if (e->stopping) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
		goto out;
	}
	if ((!c->msg || c->off == c->msg->len) && e->cur && c->seq != e->seq) {
		unref(c->msg);
		c->msg = e->cur, c->msg->refs++;
		c->seq = e->seq, c->off = 0;
	}
	if (c->msg && c->off < c->msg->len) {
		n = (ssize_t)(c->msg->len - c->off < max ? c->msg->len - c->off : max);
		memcpy(buf, c->msg->data + c->off, (size_t)n);
		c->off += (size_t)n;
	} else {
		/* nothing new: sleep until web_sse_publish() wakes us */
		c->suspended = true;
		MHD_suspend_connection(c->conn);
	}
out:
	pthread_mutex_unlock(&e->lock);
	return n;
}

/* The response is gone (client closed, or the stream ended). */
static void stream_free(void *cls)
{
	struct client *c = cls;
	struct web_sse *e = c->e;

	pthread_mutex_lock(&e->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		e->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	e->n--;
	unref(c->msg);
	pthread_mutex_unlock(&e->lock);
	free(c);
}

int web_sse_attach(struct web_sse *e, struct MHD_Connection *conn)
{
	struct client *c = calloc(1, sizeof(*c));
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!c)
		return MHD_NO;
	pthread_mutex_lock(&e->lock);
	if (e->n >= e->max || e->stopping) {
		pthread_mutex_unlock(&e->lock);
		free(c);
		return -EBUSY;
	}
	c->e = e, c->conn = conn;
	c->next = e->clients;
	if (c->next)
		c->next->prev = c;
	e->clients = c;
	e->n++;
	pthread_mutex_unlock(&e->lock);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, c,
						 stream_free);
	if (!resp) {
		stream_free(c);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

void web_sse_publish(struct web_sse *e, char *data, size_t len)
{
	static const char head[] = "event: update\ndata: ", tail[] = "\n\n";
	struct msg *m = malloc(sizeof(*m) + sizeof(head) + len + sizeof(tail));

	if (m) {
		m->refs = 1;
		memcpy(m->data, head, sizeof(head) - 1);
		/* one data: line: JSON has no raw newline inside its strings */
		for (size_t i = 0; i < len; i++)
			m->data[sizeof(head) - 1 + i] = data[i] == '\n' ? ' ' : data[i];
		memcpy(m->data + sizeof(head) - 1 + len, tail, sizeof(tail));
		m->len = sizeof(head) - 1 + len + sizeof(tail) - 1;
	}
	free(data);
	pthread_mutex_lock(&e->lock);
	if (m) {
		unref(e->cur);
		e->cur = m;
		e->seq++;
	}
	for (struct client *c = e->clients; c; c = c->next)
		if (c->suspended) {
			c->suspended = false;
			MHD_resume_connection(c->conn);
		}
	pthread_mutex_unlock(&e->lock);
}

void web_sse_stop(struct web_sse *e)
{
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	for (struct client *c = e->clients; c; c = c->next)
		if (c->suspended) {
			c->suspended = false;
			MHD_resume_connection(c->conn);
		}
	pthread_mutex_unlock(&e->lock);
}
