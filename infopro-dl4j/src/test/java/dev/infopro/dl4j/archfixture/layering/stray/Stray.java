package dev.infopro.dl4j.archfixture.layering.stray;

/** A class in a package that the fixture's dependency table does not list. */
public class Stray {
}
