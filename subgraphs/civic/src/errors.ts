/** Civic's own error codes (of the public contract); the generic ones are in @citypoints/kit. */

/** A redemption asks for more of a reward than is in stock (docs/domain/04-civic-cards.md). */
export const OUT_OF_STOCK = 'OUT_OF_STOCK';
