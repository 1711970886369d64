/* config_flows.c - the flows and management sections of the config file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config_parse.h"

int cfg_endpoint(struct cfg *c, const config_setting_t *group,
		 const char *key, const char *what, struct endpoint *out)
{
	const char *name = NULL;
	char clip[CFG_CLIP_MAX];
	int r = cfg_string(c, group, key, what, true, &name), i;

	if (r < 0)
		return r;
	if ((i = cfg_find_zone(c, name)) >= 0) {
		*out = (struct endpoint){ ENDPOINT_ZONE, (size_t)i };
		return 0;
	}
	if ((i = cfg_find_host(c, name)) >= 0) {
		*out = (struct endpoint){ ENDPOINT_HOST, (size_t)i };
		return 0;
	}
	if (!cfg_failed_has(c, name))
		cfg_error(c, config_setting_get_member(group, key), what,
			  "'%s': unknown zone or host %s", key,
			  cfg_clip(name, clip));
	return -EINVAL;
}

static int service_elem(struct cfg *c, const config_setting_t *s,
			const char *what, const char *kind, void *item)
{
	struct service *out = item;
	const char *text = config_setting_get_string(s);
	char clip[CFG_CLIP_MAX];
	const char *why;

	if (service_parse(text, out, &why) < 0) {
		cfg_error(c, s, what, "invalid service %s: %s",
			  cfg_clip(text, clip), why);
		return -EINVAL;
	}
	cfg_origin(c, s, &out->origin);
	out->text = strdup(text);
	return out->text ? 0 : -ENOMEM;
}

int cfg_services(struct cfg *c, const config_setting_t *group,
		 const char *what, struct service **out, size_t *count)
{
	static const struct cfg_strings services = {
		.key = "services", .max = MODEL_LIST_MAX,
		.size = sizeof(struct service), .parse = service_elem,
	};
	void *v = NULL;
	int r = cfg_string_array(c, group, what, &services, &v, count);

	*out = v;
	return r;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYY-MM-DD" -> the first second (UTC) of the day after. */
static int date_parse(const char *s, time_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				       30, 31 };
	struct tm tm = { 0 };
	int y = 0, mo = 0, d = 0;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (i < 4)
			y = y * 10 + s[i] - '0';
		else if (i < 7)
			mo = mo * 10 + s[i] - '0';
		else
			d = d * 10 + s[i] - '0';
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d + 1;        /* timegm() carries into the next month */
	*out = timegm(&tm);
	return 0;
}

static int flow_expires(struct cfg *c, const config_setting_t *group,
			const char *what, struct flow *f)
{
	const char *text = NULL;
	char clip[CFG_CLIP_MAX];
	int r = cfg_string(c, group, "expires", what, false, &text);

	if (r < 0 || !text)
		return r;
	if (date_parse(text, &f->expires) < 0) {
		cfg_error(c, config_setting_get_member(group, "expires"), what,
			  "invalid date %s in 'expires': use YYYY-MM-DD",
			  cfg_clip(text, clip));
		return -EINVAL;
	}
	f->has_expiry = true;
	f->expires_text = strdup(text);
	return f->expires_text ? 0 : -ENOMEM;
}

int cfg_flow_parse(struct cfg *c, const config_setting_t *s,
		   char what[CFG_WHAT_MAX], void *item)
{
	static const char *const keys[] = {
		"name", "from", "to", "services", "both", "comment",
		"justification", "expires", NULL
	};
	struct flow *f = item;
	int r = cfg_name(c, s, "flow", what, &f->name);

	r = cfg_worse(r, cfg_check_keys(c, s, what, keys));
	r = cfg_worse(r, cfg_endpoint(c, s, "from", what, &f->from));
	r = cfg_worse(r, cfg_endpoint(c, s, "to", what, &f->to));
	r = cfg_worse(r, cfg_services(c, s, what, &f->services,
				      &f->service_count));
	r = cfg_worse(r, cfg_bool(c, s, "both", what, &f->bidirectional));
	r = cfg_worse(r, cfg_text(c, s, "comment", what, &f->comment));
	r = cfg_worse(r, cfg_text(c, s, "justification", what,
				  &f->justification));
	r = cfg_worse(r, flow_expires(c, s, what, f));
	cfg_origin(c, s, &f->origin);
	return r;
}

int cfg_mgmt_parse(struct cfg *c, const config_setting_t *s,
		   char what[CFG_WHAT_MAX], void *item)
{
	static const char *const keys[] = {
		"from", "services", "comment", NULL
	};
	struct mgmt_rule *rule = item;
	int r = cfg_check_keys(c, s, what, keys);

	r = cfg_worse(r, cfg_endpoint(c, s, "from", what, &rule->from));
	r = cfg_worse(r, cfg_services(c, s, what, &rule->services,
				      &rule->service_count));
	r = cfg_worse(r, cfg_text(c, s, "comment", what, &rule->comment));
	cfg_origin(c, s, &rule->origin);
	return r;
}
