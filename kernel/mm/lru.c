/*
 * The per-node LRU lists (lru.h): adding pages, taking them off when they
 * are freed, and isolating them for reclaim and migration.
 */
#include <kernel/reclaim.h>
#include <kernel/numa.h>
#include <kernel/mm.h>
#include <kernel/swap.h>
#include <kernel/printk.h>

static struct lruvec *page_lruvec(const struct page *p)
{
	return &numa_nodes[p->node].lru;
}

/* The list p belongs on, by its kind and PG_active. */
static enum lru_list page_lru(const struct page *p)
{
	enum lru_list l = (p->flags & PG_anon) ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;

	return (p->flags & PG_active) ? l + 1 : l;
}

/* p onto the head of its list. lruvec lock held. */
static void add_locked(struct lruvec *lv, struct page *p)
{
	enum lru_list l = page_lru(p);

	list_add(&p->lru, &lv->lists[l]);
	lv->nr[l]++;
	page_set_flag(p, PG_lru);
}

static void del_locked(struct lruvec *lv, struct page *p)
{
	list_del(&p->lru);
	lv->nr[page_lru(p)]--;
	page_clear_flag(p, PG_lru);
}

void lru_add(struct page *p)
{
	struct lruvec *lv = page_lruvec(p);

	spin_lock(&lv->lock);
	BUG_ON(p->flags & PG_lru);
	page_clear_flag(p, PG_active);
	add_locked(lv, p);
	spin_unlock(&lv->lock);
}

void lru_del(struct page *p)
{
	struct lruvec *lv = page_lruvec(p);

	spin_lock(&lv->lock);
	if (p->flags & PG_lru)
		del_locked(lv, p);
	spin_unlock(&lv->lock);
}

void mark_page_accessed(struct page *p)
{
	if (!(p->flags & PG_referenced))
		page_set_flag(p, PG_referenced);
}

/* Back onto its node's list (active if PG_active), dropping the reference
 * isolation took. */
static void lru_putback(struct page *p)
{
	struct lruvec *lv = page_lruvec(p);

	spin_lock(&lv->lock);
	add_locked(lv, p);
	spin_unlock(&lv->lock);
	put_page_swapcache(p);
}

/*
 * Move up to max pages from the tail of list l of lv to `out`, each with a
 * reference; pages being freed are skipped. Returns how many were looked
 * at (scanned). Used by reclaim (vmscan.c).
 */
uint64_t lru_isolate_tail(struct lruvec *lv, enum lru_list l, uint64_t max,
			  struct list_head *out)
{
	uint64_t scanned = 0;

	spin_lock(&lv->lock);
	struct list_head *head = &lv->lists[l];
	while (scanned < max && !list_empty(head)) {
		struct page *p = list_entry(head->prev, struct page, lru);
		scanned++;
		if (!get_page_unless_zero(p)) {
			list_del(&p->lru);          /* its put_page will find it off */
			list_add(&p->lru, head);
			continue;
		}
		del_locked(lv, p);
		list_add_tail(&p->lru, out);
	}
	spin_unlock(&lv->lock);
	return scanned;
}

/* Put isolated pages back (each on the list its flags say), dropping the
 * references lru_isolate_tail took. */
void lru_putback_list(struct list_head *pages)
{
	while (!list_empty(pages)) {
		struct page *p = list_first_entry(pages, struct page, lru);
		list_del(&p->lru);
		lru_putback(p);
	}
}

void lru_init_node(struct lruvec *lv)
{
	spin_init(&lv->lock, "lru");
	for (int l = 0; l < NR_LRU_LISTS; l++)
		list_init(&lv->lists[l]);
}
