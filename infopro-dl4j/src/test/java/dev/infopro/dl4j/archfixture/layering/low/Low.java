package dev.infopro.dl4j.archfixture.layering.low;

import dev.infopro.dl4j.archfixture.layering.high.High;

/** The lower layer, which may use no other fixture package, but calls up into {@code high}. */
public class Low {
    public Object upward() {
        return new High().toString();
    }
}
