// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ip_text.h"

#include <netinet/in.h>

#include "sockaddr.h"

const char *ip_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const unsigned char *b = (const unsigned char *)&((const struct sockaddr_in *)ss)->sin_addr;
	char *p = buf;

	if (ss->ss_family != AF_INET || len < sizeof("255.255.255.255"))
		return sa_format_ip(ss, buf, len);
	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
	return buf;
}
