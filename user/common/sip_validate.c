// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Strict checks of RFC 3261 section 25 grammar that libosip2 does not make. */
#include "sip_validate.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#define MAX_CONTENT_LENGTH (1u << 20)
#define MAX_HEADERS 256

struct span {
	const char *p;
	const char *end;
};

enum single_hdr { H_CALLID, H_CSEQ, H_FROM, H_TO, H_CL, H_MAXFWD, H_CTYPE, H_VIA, H__N };

static bool is_token_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-.!%*_+`'~", c) != NULL;
}

static bool is_lws(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

static void skip_lws(struct span *s)
{
	while (s->p < s->end && is_lws((unsigned char)*s->p))
		s->p++;
}

static size_t skip_token(struct span *s)
{
	const char *start = s->p;

	while (s->p < s->end && is_token_char((unsigned char)*s->p))
		s->p++;
	return (size_t)(s->p - start);
}

static int fail(struct sip_verdict *v, int status, const char *reason)
{
	v->status = status;
	v->reason = reason;
	return -EBADMSG;
}

/* Parses 1*DIGIT up to max; -EINVAL on no digits, anything else, or overflow. */
static int parse_uint(const char *p, const char *end, unsigned long max, unsigned long *out)
{
	unsigned long val = 0;

	if (p >= end)
		return -EINVAL;
	for (; p < end; p++) {
		if (!is_digit((unsigned char)*p))
			return -EINVAL;
		val = val * 10 + (unsigned long)(*p - '0');
		if (val > max)
			return -ERANGE;
	}
	*out = val;
	return 0;
}

static void trim(struct span *s)
{
	skip_lws(s);
	while (s->end > s->p && is_lws((unsigned char)s->end[-1]))
		s->end--;
}

/* A quoted string from the opening quote; false when it does not terminate. */
static bool skip_quoted(struct span *s)
{
	s->p++;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\')
			s->p++;
		s->p++;
	}
	if (s->p >= s->end)
		return false;
	s->p++;
	return true;
}

static bool uri_scheme_ok(const char *p, const char *end)
{
	if (p >= end || !is_alpha((unsigned char)*p))
		return false;
	for (; p < end && *p != ':'; p++) {
		unsigned char c = (unsigned char)*p;

		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
			return false;
	}
	return p < end;
}

bool sip_scheme_supported(const char *uri, size_t len)
{
	static const char *const schemes[] = { "sip:", "sips:", "tel:" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);

		if (len >= n && !strncasecmp(uri, schemes[i], n))
			return true;
	}
	return false;
}

/* *( ";" token [ "=" ( token / host / quoted-string ) ] ) */
/* ";" name [ "=" value ] list. `want`, when given, names a parameter whose
 * value (without quotes) goes to *val; val->p stays NULL when it is absent. */
static int check_params_get(struct span *s, struct sip_verdict *v, const char *what, const char *want,
			    struct span *val)
{
	while (s->p < s->end && *s->p == ';') {
		const char *name;
		size_t nlen;

		s->p++;
		skip_lws(s);
		name = s->p;
		nlen = skip_token(s);
		if (!nlen)
			return fail(v, 400, what);
		skip_lws(s);
		if (s->p < s->end && *s->p == '=') {
			bool wanted = want && nlen == strlen(want) && !strncasecmp(name, want, nlen);
			const char *vstart;

			s->p++;
			skip_lws(s);
			vstart = s->p;
			if (s->p < s->end && *s->p == '"') {
				if (!skip_quoted(s))
					return fail(v, 400, "Unterminated quoted string");
				if (wanted)
					*val = (struct span){ vstart + 1, s->p - 1 };
			} else {
				const char *start = s->p;

				while (s->p < s->end && !is_lws((unsigned char)*s->p) && *s->p != ';' &&
				       *s->p != ',') {
					if (*s->p == '<' || *s->p == '>')
						return fail(v, 400, what); /* in no token, host or word */
					s->p++;
				}
				if (s->p == start)
					return fail(v, 400, what);
				if (wanted)
					*val = (struct span){ start, s->p };
			}
			skip_lws(s);
		}
	}
	return 0;
}

static int check_params(struct span *s, struct sip_verdict *v, const char *what)
{
	return check_params_get(s, v, what, NULL, NULL);
}

/* name-addr / addr-spec with params; a list when the header allows several. */
static int check_address(struct span s, bool list, bool star_ok, struct sip_verdict *v)
{
	for (int n = 0; n < MAX_HEADERS; n++) {
		skip_lws(&s);
		if (s.p >= s.end)
			return fail(v, 400, "Empty address");
		if (star_ok && *s.p == '*') {
			s.p++;
			skip_lws(&s);
			return s.p == s.end ? 0 : fail(v, 400, "Malformed Contact *");
		}
		if (*s.p == '"') {
			if (!skip_quoted(&s))
				return fail(v, 400, "Unterminated quoted string");
			skip_lws(&s);
			if (s.p >= s.end || *s.p != '<')
				return fail(v, 400, "Quoted display name without <URI>");
		} else {
			const char *q = s.p;

			while (q < s.end && *q != '<' && *q != ';' && *q != ',' && *q != '"')
				q++;
			if (q < s.end && *q == '<') {
				for (; s.p < q; s.p++)
					if (!is_token_char((unsigned char)*s.p) && !is_lws((unsigned char)*s.p))
						return fail(v, 400, "Invalid display name");
			}
		}
		if (*s.p == '<') {
			const char *uri = ++s.p;

			while (s.p < s.end && *s.p != '>') {
				if (is_lws((unsigned char)*s.p))
					return fail(v, 400, "Whitespace in addr-spec");
				/* libosip2 re-serialises an empty one as "; " */
				if (*s.p == ';' && (s.p + 1 >= s.end || s.p[1] == ';' || s.p[1] == '>' || s.p[1] == '='))
					return fail(v, 400, "Empty URI parameter");
				s.p++;
			}
			if (s.p >= s.end)
				return fail(v, 400, "Unterminated <URI>");
			if (!uri_scheme_ok(uri, s.p))
				return fail(v, 400, "Invalid URI in address");
			s.p++;
		} else {
			const char *uri = s.p;

			while (s.p < s.end && *s.p != ';' && *s.p != ',' && !is_lws((unsigned char)*s.p)) {
				if (*s.p == '?')
					return fail(v, 400, "URI with headers needs <>");
				/* libosip2 would re-serialise a stray one as <uri>> */
				if (*s.p == '<' || *s.p == '>')
					return fail(v, 400, "Angle bracket in addr-spec");
				s.p++;
			}
			if (!uri_scheme_ok(uri, s.p))
				return fail(v, 400, "Invalid URI in address");
		}
		skip_lws(&s);
		if (check_params(&s, v, "Empty or bad address parameter"))
			return -EBADMSG;
		if (s.p == s.end)
			return 0;
		if (!list || *s.p != ',')
			return fail(v, 400, "Malformed address header");
		s.p++;
	}
	return fail(v, 400, "Too many addresses");
}

/* via-parm *( COMMA via-parm ); each: SIP/2.0/transport LWS sent-by params */
static int check_via(struct span s, struct sip_verdict *v)
{
	for (int n = 0; n < MAX_HEADERS; n++) {
		skip_lws(&s);
		for (int part = 0; part < 3; part++) {
			if (part) {
				skip_lws(&s);
				if (s.p >= s.end || *s.p != '/')
					return fail(v, 400, "Malformed Via protocol");
				s.p++;
				skip_lws(&s);
			}
			if (!skip_token(&s))
				return fail(v, 400, "Malformed Via protocol");
		}
		if (s.p >= s.end || !is_lws((unsigned char)*s.p))
			return fail(v, 400, "Malformed Via sent-by");
		skip_lws(&s);
		const char *host = s.p;

		while (s.p < s.end && !is_lws((unsigned char)*s.p) && *s.p != ';' && *s.p != ',')
			s.p++;
		if (s.p == host)
			return fail(v, 400, "Malformed Via sent-by");
		skip_lws(&s);
		if (check_params(&s, v, "Empty or bad Via parameter"))
			return -EBADMSG;
		if (s.p == s.end)
			return 0;
		if (*s.p != ',')
			return fail(v, 400, "Malformed Via header");
		s.p++;
	}
	return fail(v, 400, "Too many Via values");
}

static int check_cseq(struct span s, const char *method, size_t mlen, struct sip_verdict *v)
{
	const char *num = s.p;
	unsigned long seq;

	while (s.p < s.end && is_digit((unsigned char)*s.p))
		s.p++;
	if (parse_uint(num, s.p, SIP_MAX_CSEQ, &seq))
		return fail(v, 400, "Bad CSeq number");
	skip_lws(&s);
	const char *m = s.p;

	if (!skip_token(&s) || s.p != s.end)
		return fail(v, 400, "Bad CSeq method");
	if (method && ((size_t)(s.p - m) != mlen || memcmp(m, method, mlen)))
		return fail(v, 400, "CSeq method does not match the request");
	return 0;
}

static bool name_is(const char *name, size_t len, const char *full, const char *compact)
{
	return (strlen(full) == len && !strncasecmp(name, full, len)) ||
	       (compact && len == 1 && (name[0] | 0x20) == compact[0]);
}

static int classify(const char *name, size_t len)
{
	if (name_is(name, len, "Call-ID", "i"))
		return H_CALLID;
	if (name_is(name, len, "CSeq", NULL))
		return H_CSEQ;
	if (name_is(name, len, "From", "f"))
		return H_FROM;
	if (name_is(name, len, "To", "t"))
		return H_TO;
	if (name_is(name, len, "Content-Length", "l"))
		return H_CL;
	if (name_is(name, len, "Max-Forwards", NULL))
		return H_MAXFWD;
	if (name_is(name, len, "Content-Type", "c"))
		return H_CTYPE;
	if (name_is(name, len, "Via", "v"))
		return H_VIA;
	return -1;
}

static bool is_list_address(const char *name, size_t len, bool *star_ok)
{
	*star_ok = name_is(name, len, "Contact", "m");
	return *star_ok || name_is(name, len, "Route", NULL) || name_is(name, len, "Record-Route", NULL) ||
	       name_is(name, len, "Reply-To", NULL);
}

/* SIP-Version = "SIP/" 1*DIGIT "." 1*DIGIT; 1 when it is 2.0. */
static int check_version(const char *p, const char *end)
{
	const char *dot;

	if (end - p < 6 || strncasecmp(p, "SIP/", 4))
		return -EINVAL;
	p += 4;
	dot = memchr(p, '.', (size_t)(end - p));
	if (!dot || dot == p || dot + 1 == end)
		return -EINVAL;
	for (const char *q = p; q < end; q++)
		if (q != dot && !is_digit((unsigned char)*q))
			return -EINVAL;
	return (dot - p == 1 && *p == '2' && end - dot == 2 && dot[1] == '0') ? 1 : 0;
}

struct start_line {
	const char *method;
	size_t method_len;
	const char *uri;
	size_t uri_len;
};

static int check_response_line(const char *p, const char *end, struct sip_verdict *v)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));

	if (!sp || check_version(p, sp) != 1)
		return fail(v, 0, "Bad response version");
	sp++;
	if (end - sp < 3 || !is_digit((unsigned char)sp[0]) || !is_digit((unsigned char)sp[1]) ||
	    !is_digit((unsigned char)sp[2]) || sp[0] < '1' || sp[0] > '6' || (end - sp > 3 && sp[3] != ' '))
		return fail(v, 0, "Bad status code");
	return 0;
}

static int check_request_line(const char *p, const char *end, struct start_line *sl,
			      struct sip_verdict *v)
{
	struct span s = { p, end };
	int ver;

	sl->method = s.p;
	sl->method_len = skip_token(&s);
	if (!sl->method_len || s.p >= s.end || *s.p != ' ')
		return fail(v, 400, "Bad Request-Line method");
	s.p++;
	sl->uri = s.p;
	while (s.p < s.end && *s.p != ' ' && !is_lws((unsigned char)*s.p))
		s.p++;
	sl->uri_len = (size_t)(s.p - sl->uri);
	if (!sl->uri_len || s.p >= s.end || *s.p != ' ')
		return fail(v, 400, "Bad Request-Line spacing");
	if (memchr(sl->uri, '<', sl->uri_len) || memchr(sl->uri, '>', sl->uri_len))
		return fail(v, 400, "Request-URI must not be in <>");
	if (!uri_scheme_ok(sl->uri, sl->uri + sl->uri_len))
		return fail(v, 400, "Bad Request-URI");
	s.p++;
	ver = check_version(s.p, s.end);
	if (ver < 0)
		return fail(v, 400, "Bad Request-Line version or spacing");
	if (ver == 0)
		return fail(v, 505, "Version Not Supported");
	return 0;
}

static const char *find_eol(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

/* Header region ends at the first empty line; returns its length including it.
 * A datagram that ends right after its last header line is accepted as if the
 * empty line were there: nothing else can follow in it. */
static size_t header_block_len(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = find_eol(p, end);

		if (nl == end)
			return 0;
		if (nl + 1 == end && p != buf)
			return len;
		if (nl == p || (nl == p + 1 && *p == '\r'))
			return (size_t)(nl + 1 - buf);
		p = nl + 1;
	}
	return 0;
}

/* m-type "/" m-subtype *( ";" m-parameter ): libosip2 garbles what does not match
 * when it serialises the message again. */
static int check_content_type(struct span s, bool *multipart, struct span *boundary, struct sip_verdict *v)
{
	const char *type = s.p;
	size_t tlen = skip_token(&s);

	if (!tlen || s.p >= s.end || *s.p != '/')
		return fail(v, 400, "Bad Content-Type");
	s.p++;
	if (!skip_token(&s))
		return fail(v, 400, "Bad Content-Type");
	skip_lws(&s);
	*boundary = (struct span){ NULL, NULL };
	if (check_params_get(&s, v, "Bad Content-Type parameter", "boundary", boundary))
		return -EBADMSG;
	if (s.p != s.end)
		return fail(v, 400, "Bad Content-Type");
	*multipart = tlen == 9 && !strncasecmp(type, "multipart", 9);
	if (*multipart && (!boundary->p || boundary->end - boundary->p < 1 || boundary->end - boundary->p > 70))
		return fail(v, 400, "Multipart body without a usable boundary"); /* RFC 2046: 1..70 characters */
	return 0;
}

/*
 * libosip2 5.3 leaks the first Content-Type of a multipart part that has two
 * (osip_body_parse_mime): refuse such parts so a peer cannot grow our memory.
 * A part's headers follow a delimiter line, "--" boundary, up to the empty
 * line. libosip2 finds a delimiter as "--" boundary at a line start whatever
 * follows it, and takes the rest of that line as part headers, so a line
 * that starts with the delimiter must be exactly it, or the close delimiter
 * (RFC 2046 allows trailing white space, which libosip2 would misread too).
 */
static int check_multipart_parts(const char *p, const char *end, struct span boundary, struct sip_verdict *v)
{
	size_t blen = (size_t)(boundary.end - boundary.p);
	bool in_headers = false;
	unsigned ctypes = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct span line = { p, le };
		size_t llen;

		if (le > p && le[-1] == '\r')
			line.end--;
		llen = (size_t)(line.end - line.p);
		if (llen >= 2 + blen && line.p[0] == '-' && line.p[1] == '-' && !memcmp(line.p + 2, boundary.p, blen)) {
			size_t rest = llen - 2 - blen;

			if (rest == 2 && line.p[2 + blen] == '-' && line.p[3 + blen] == '-') {
				in_headers = false; /* the close delimiter */
			} else if (rest == 0) {
				in_headers = true;
				ctypes = 0;
			} else {
				return fail(v, 400, "Malformed multipart delimiter line");
			}
		} else if (in_headers && line.p == line.end) {
			in_headers = false;
		} else if (in_headers && memchr(line.p, '\r', llen)) {
			/* libosip2 ends a part header line at a bare CR too */
			return fail(v, 400, "Bare CR in a multipart part header");
		} else if (in_headers && *line.p != ' ' && *line.p != '\t') { /* not a folded line */
			const char *name = line.p;
			size_t nlen = skip_token(&line);

			while (line.p < line.end && (*line.p == ' ' || *line.p == '\t'))
				line.p++;
			if (!nlen || line.p >= line.end || *line.p != ':')
				return fail(v, 400, "Malformed multipart part header");
			/* libosip2 takes any name starting with content-type as one */
			if (((nlen >= 12 && !strncasecmp(name, "Content-Type", 12)) || classify(name, nlen) == H_CTYPE) &&
			    ++ctypes > 1)
				return fail(v, 400, "Repeated Content-Type in a multipart part");
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

struct header_state {
	unsigned seen[H__N];
	unsigned long content_length;
	bool multipart;
	struct span boundary;          /* of a multipart Content-Type, in the message */
};

static int check_header(const struct span *line, const struct start_line *sl, struct header_state *hs,
			struct sip_verdict *v)
{
	unsigned *seen = hs->seen;
	struct span s = *line;
	const char *name = s.p;
	size_t nlen = skip_token(&s);
	bool star_ok;
	int kind;

	/* libosip2 ends a line at a bare CR and would forward what follows as a header */
	for (const char *cr = s.p; (cr = memchr(cr, '\r', (size_t)(s.end - cr))) != NULL; cr++)
		if (cr + 1 < s.end && cr[1] != '\n')
			return fail(v, 400, "Bare CR in header line");

	while (s.p < s.end && (*s.p == ' ' || *s.p == '\t'))
		s.p++;
	if (!nlen || s.p >= s.end || *s.p != ':')
		return fail(v, 400, "Malformed header line");
	s.p++;
	trim(&s);
	kind = classify(name, nlen);
	if (kind >= 0 && kind != H_VIA && seen[kind]++)
		return fail(v, 400, "Multiple values in a single-value header");
	switch (kind) {
	case H_CL:
		if (parse_uint(s.p, s.end, MAX_CONTENT_LENGTH, &hs->content_length))
			return fail(v, 400, "Bad Content-Length");
		return 0;
	case H_MAXFWD: {
		unsigned long mf;

		if (parse_uint(s.p, s.end, 255, &mf))
			return fail(v, 400, "Bad Max-Forwards");
		return 0;
	}
	case H_CSEQ:
		return check_cseq(s, sl ? sl->method : NULL, sl ? sl->method_len : 0, v);
	case H_FROM:
	case H_TO:
		return check_address(s, false, false, v);
	case H_VIA:
		seen[H_VIA]++;
		return check_via(s, v);
	case H_CALLID:
		return s.p < s.end ? 0 : fail(v, 400, "Empty Call-ID");
	case H_CTYPE:
		return check_content_type(s, &hs->multipart, &hs->boundary, v);
	default:
		break;
	}
	if (is_list_address(name, nlen, &star_ok))
		return check_address(s, true, star_ok, v);
	return 0;
}

int sip_validate(const char *buf, size_t len, struct sip_verdict *v)
{
	const char *end, *eol, *p;
	struct start_line sl = { 0 };
	struct header_state hs = { 0 };
	int nhdr = 0;

	memset(v, 0, sizeof(*v));
	v->is_request = !(len >= 4 && !strncasecmp(buf, "SIP/", 4));
	v->hdr_len = header_block_len(buf, len);
	if (!v->hdr_len)
		return fail(v, v->is_request ? 400 : 0, "Missing empty line after headers");
	end = buf + v->hdr_len;
	eol = find_eol(buf, end);
	{
		const char *le = (eol > buf && eol[-1] == '\r') ? eol - 1 : eol;

		if (v->is_request ? check_request_line(buf, le, &sl, v) : check_response_line(buf, le, v))
			return -EBADMSG;
	}
	/* logical header lines: a line starting with SP/HT continues the previous one */
	for (p = eol + 1; p < end;) {
		struct span line = { p, NULL };
		const char *nl = find_eol(p, end);

		if (nl == p || (nl == p + 1 && *p == '\r'))
			break; /* the empty line */
		while (nl + 1 < end && (nl[1] == ' ' || nl[1] == '\t'))
			nl = find_eol(nl + 1, end);
		line.end = nl;
		p = nl + 1;
		if (++nhdr > MAX_HEADERS)
			return fail(v, v->is_request ? 400 : 0, "Too many headers");
		if (check_header(&line, v->is_request ? &sl : NULL, &hs, v)) {
			if (!v->is_request)
				v->status = 0;
			return -EBADMSG;
		}
	}
	static const struct {
		enum single_hdr h;
		const char *reason;
	} required[] = {
		{ H_TO, "Missing To" },       { H_FROM, "Missing From" }, { H_CALLID, "Missing Call-ID" },
		{ H_CSEQ, "Missing CSeq" },   { H_VIA, "Missing Via" },
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!hs.seen[required[i].h])
			return fail(v, v->is_request ? 400 : 0, required[i].reason);
	if (hs.seen[H_CL]) {
		if (v->hdr_len + hs.content_length > len)
			return fail(v, v->is_request ? 400 : 0, "Content-Length larger than message");
		v->msg_len = v->hdr_len + hs.content_length;
	} else {
		v->msg_len = len;
	}
	if (hs.multipart && check_multipart_parts(buf + v->hdr_len, buf + v->msg_len, hs.boundary, v)) {
		if (!v->is_request)
			v->status = 0;
		return -EBADMSG;
	}
	if (v->is_request && !sip_scheme_supported(sl.uri, sl.uri_len))
		return fail(v, 416, "Unsupported URI Scheme");
	if (v->is_request && sl.uri_len >= 4 && !strncasecmp(sl.uri, "sip", 3)) {
		/* the user part may hold a '?'; headers follow the host */
		const char *at = memchr(sl.uri, '@', sl.uri_len);
		const char *host = at ? at : sl.uri;

		if (memchr(host, '?', sl.uri_len - (size_t)(host - sl.uri)))
			return fail(v, 400, "Headers in Request-URI");
	}
	return 0;
}
