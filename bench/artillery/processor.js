// Gives each Artillery virtual user its own userId, so that its direct messages (sent to itself)
// come back to the same connection: N connections, each sending M messages/s and receiving them.
let next = 0;
module.exports = {
  setUser(context, events, done) {
    context.vars.me = `art-${process.pid}-${next++}`;
    return done();
  },
};
