/* Pointer chasing: build a singly linked list in a node pool in shuffled order,
   walk it, reverse it, drop every third node, and sum what is left. */
#include "common.h"

#define POOL 4096

struct node {
    struct node *next;
    u32 value;
};

static struct node pool[POOL];
static u32 order[POOL];

static struct node *build(u32 count, u32 *seed) {
    for (u32 i = 0; i < count; i++) order[i] = i;
    for (u32 i = count - 1; i > 0; i--) {
        u32 j = xorshift32(seed) % (i + 1);
        u32 t = order[i]; order[i] = order[j]; order[j] = t;
    }
    struct node *head = 0;
    for (u32 i = 0; i < count; i++) {
        struct node *n = &pool[order[i]];
        n->value = xorshift32(seed) & 0xffff;
        n->next = head;
        head = n;
    }
    return head;
}

static struct node *reverse(struct node *head) {
    struct node *prev = 0;
    while (head) {
        struct node *next = head->next;
        head->next = prev;
        prev = head;
        head = next;
    }
    return prev;
}

static struct node *drop_every_third(struct node *head) {
    struct node **link = &head;
    u32 i = 0;
    while (*link) {
        if (++i % 3 == 0) *link = (*link)->next;
        else link = &(*link)->next;
    }
    return head;
}

EXPORT("run") u32 run(u32 n) {
    u32 seed = 2463534242u, sum = 0;
    for (u32 round = 0; round < n; round++) {
        struct node *head = build(POOL, &seed);
        head = reverse(head);
        head = drop_every_third(head);
        u32 pos = 0;
        for (struct node *p = head; p; p = p->next) sum = sum * 31 + p->value + pos++;
    }
    return sum;
}
