package dev.infopro.dl4j.archfixture.layering.high;

import dev.infopro.dl4j.archfixture.layering.low.Low;

/** The upper layer: may use {@code low}. */
public class High {
    public Low base() {
        return new Low();
    }
}
