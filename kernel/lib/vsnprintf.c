/* A small vsnprintf: the formats printk.h lists, nothing more. */
#include <kernel/printk.h>
#include <kernel/string.h>

struct outbuf {
	char *buf;
	size_t size;
	size_t len;     /* what would have been written, as C's snprintf */
};

static void put(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

struct spec {
	bool left, zero;
	int width;
	int base;
	bool upper, is_signed;
};

static void put_number(struct outbuf *o, uint64_t v, bool neg,
		       const struct spec *s)
{
	const char *digits = s->upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = digits[v % s->base];
		v /= s->base;
	} while (v);
	int len = n + neg;
	int pad = s->width > len ? s->width - len : 0;

	if (!s->left && !s->zero)
		while (pad-- > 0)
			put(o, ' ');
	if (neg)
		put(o, '-');
	if (!s->left && s->zero)
		while (pad-- > 0)
			put(o, '0');
	while (n)
		put(o, tmp[--n]);
	while (s->left && pad-- > 0)
		put(o, ' ');
}

static void put_string(struct outbuf *o, const char *str, const struct spec *s)
{
	if (!str)
		str = "(null)";
	int len = strlen(str);
	int pad = s->width > len ? s->width - len : 0;

	while (!s->left && pad-- > 0)
		put(o, ' ');
	while (*str)
		put(o, *str++);
	while (s->left && pad-- > 0)
		put(o, ' ');
}

/* Parse flags, width and length; returns the pointer at the conversion. */
static const char *parse_spec(const char *f, struct spec *s, int *lng)
{
	memset(s, 0, sizeof(*s));
	for (;; f++) {
		if (*f == '-')
			s->left = true;
		else if (*f == '0')
			s->zero = true;
		else
			break;
	}
	while (*f >= '0' && *f <= '9')
		s->width = s->width * 10 + (*f++ - '0');
	*lng = 0;
	while (*f == 'l' || *f == 'z')
		(*lng)++, f++;
	return f;
}

static uint64_t fetch_arg(va_list *ap, int lng, bool is_signed)
{
	if (lng)
		return va_arg(*ap, uint64_t);
	if (is_signed)
		return (uint64_t)(int64_t)va_arg(*ap, int);
	return va_arg(*ap, unsigned int);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap0)
{
	struct outbuf o = { buf, size, 0 };
	struct spec s;
	va_list ap;
	int lng;

	va_copy(ap, ap0);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f = parse_spec(f + 1, &s, &lng);
		s.base = 10;
		switch (*f) {
		case 'd':
		case 'i': {
			int64_t v = (int64_t)fetch_arg(&ap, lng, true);
			put_number(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, &s);
			break;
		}
		case 'u':
			put_number(&o, fetch_arg(&ap, lng, false), false, &s);
			break;
		case 'X':
			s.upper = true;
			/* fall through */
		case 'x':
			s.base = 16;
			put_number(&o, fetch_arg(&ap, lng, false), false, &s);
			break;
		case 'o':
			s.base = 8;
			put_number(&o, fetch_arg(&ap, lng, false), false, &s);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			s.base = 16, s.zero = true, s.width = 16;
			put_number(&o, (uint64_t)va_arg(ap, void *), false, &s);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's':
			put_string(&o, va_arg(ap, const char *), &s);
			break;
		case '%':
			put(&o, '%');
			break;
		case 0:
			f--;
			break;
		default:
			put(&o, '%');
			put(&o, *f);
		}
	}
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
